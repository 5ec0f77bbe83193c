import ArgumentParser
import SNNModel
import SNNTheory
import SNNVerification

/// Option values are typed (`ExpressibleByArgument`) and parsed once, while the command line is read, by the model's
/// own checks, so no command parses a string again. ArgumentParser reports a value that does not parse as "The value
/// 'x' is invalid for '--name <value>'"; the model's refusal is recorded here so that `SNNTheoryCommand.main` prints
/// its one line ("input: 'x' is not allowed; expected ...") instead, as for every other bad input.
enum OptionValue {
    /// The last refusal of an option's value. The command line is parsed on one thread, before any work.
    nonisolated(unsafe) static var refusal: ModelError?

    /// `parse(text)`, or nil with its refusal recorded.
    static func parsed<Value>(_ text: String, _ parse: (String) throws -> Value) -> Value? {
        do { return try parse(text) } catch let error as ModelError {
            refusal = error
            return nil
        } catch {
            return nil
        }
    }

    /// The case of `Value` named `text`, or nil with a refusal naming `parameter` and what is `allowed`.
    static func choice<Value: RawRepresentable>(_ text: String, _ parameter: String, allowed: String) -> Value?
        where Value.RawValue == String
    {
        parsed(text) { text in
            guard let value = Value(rawValue: text) else {
                throw ModelError.invalid(parameter: parameter, value: text, allowed: allowed)
            }
            return value
        }
    }
}

/// How one list or grid option reads its text: the option's name in refusals is the rule's.
protocol OptionRule {
    associatedtype Value: Sendable
    static func parse(_ text: String) throws -> Value
}

/// A list or grid option's value, as parsed by its rule, and the text it came from (shown as the default in the
/// help, and echoed where an output repeats what was asked).
struct Parsed<Rule: OptionRule>: ExpressibleByArgument, ExpressibleByStringLiteral, Sendable, CustomStringConvertible {
    let text: String
    let value: Rule.Value

    init?(argument: String) {
        guard let value = OptionValue.parsed(argument, Rule.parse) else { return nil }
        text = argument
        self.value = value
    }

    /// A default, written in the declaration: a text the rule accepts (every test that runs the command parses it).
    init(stringLiteral text: String) {
        self.init(argument: text)!
    }

    var description: String { text }
    var defaultValueDescription: String { text }
}

/// An option whose value is one case of a fixed set, named by its raw value; a refusal names `optionName` and lists
/// `allowedNames`.
protocol ChoiceOption: ExpressibleByArgument, CaseIterable, RawRepresentable where RawValue == String {
    static var optionName: String { get }
    static var allowedNames: String { get }
}

extension ChoiceOption {
    public init?(argument: String) {
        guard let value: Self = OptionValue.choice(argument, Self.optionName, allowed: Self.allowedNames) else {
            return nil
        }
        self = value
    }
}

extension Reset: ChoiceOption {
    static let optionName = "reset", allowedNames = "subtract or zero"
}

extension SolverHorizon: ChoiceOption {
    static let optionName = "solve-over", allowedNames = "first-step, time-averaged or final-step"
}

extension TemporalKernelMethod: ChoiceOption {
    static let optionName = "method", allowedNames = "automatic, quadrature or qmc"
}

extension SimulationMethod: ChoiceOption {
    static let optionName = "method", allowedNames = "full or reduced"
}

extension WeightDistribution: ChoiceOption {
    static let optionName = "weights", allowedNames = "gaussian or uniform"
}

extension InputEncoding: ExpressibleByArgument {
    public init?(argument: String) {
        guard let value = OptionValue.parsed(argument, InputEncoding.init(parsing:)) else { return nil }
        self = value
    }

    public var defaultValueDescription: String { description }
}

extension InitScheme: ExpressibleByArgument {
    public init?(argument: String) {
        guard let value = OptionValue.parsed(argument, InitScheme.init(parsing:)) else { return nil }
        self = value
    }

    public var defaultValueDescription: String { description }
}

/// `--init paper,kaiming,...`: each initialization once.
enum InitList: OptionRule {
    static func parse(_ text: String) throws -> [InitScheme] { try InitScheme.parseList(text) }
}

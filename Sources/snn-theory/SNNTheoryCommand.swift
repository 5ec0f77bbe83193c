import ArgumentParser
import Foundation
import NIR
import SNNModel
import SNNFormats
import SNNReports
import SNNSimulator
import SNNTheory

@main
struct SNNTheoryCommand: ParsableCommand {
    static let version = ToolVersion.current

    static let configuration = CommandConfiguration(
        commandName: "snn-theory",
        abstract: "Will activity survive to the last layer of a deep spiking network? Theory, simulation, and the gap.",
        discussion: """
        Implements the variance-propagation theory of Micheli, Booij, van Gemert, Tomen, "Deep activity \
        propagation via weight initialization in spiking neural networks" (arXiv 2410.00580), and goes past it.

        Examples:
          snn-theory predict --depth 100 --init paper,kaiming,glorot
          snn-theory predict --widths 784,1000,1000,10 --theta 1 --format json
          snn-theory simulate --depth 100 --init paper --networks 20
        """,
        version: version,
        subcommands: [PredictCommand.self, SimulateCommand.self, CompareCommand.self, ValidityCommand.self, PhaseCommand.self, AdviseCommand.self, InitCommand.self, MergeCommand.self,
                      NIRCommand.self]
    )

    /// Parses, runs, and turns every failure into one line on stderr and a non-zero exit, never a trace.
    static func main() {
        do {
            var command = try parseAsRoot(joiningNegativeValues(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as ModelError {
            fail(error.description, code: 64)
        } catch let error as CommandFailure {
            fail(error.message, code: error.code)
        } catch let error as OutputFailure {
            fail(error.message, code: 64)
        } catch let error as WeightsFile.Failure {
            fail(error.message, code: 64)
        } catch let error as SolverError {  // compare words its own, naming the cell
            fail(error.description, code: 64)
        } catch let error as NIRError {
            fail(error.description, code: 65)
        } catch let error as HDF5Error {
            fail(error.description, code: 65)
        } catch let error as ReducedSampler.SolverFailure {
            fail(error.description, code: 64)
        } catch let failure as JSONLinesFile.Failure {
            // Only a write reaches here: `compare` and `simulate` word a failure to open or read their record file
            // for the option that named it, and append to that file, --output's or --resume's, as they run.
            fail(CommandFailure(failure, parameter: "output").message, code: 64)
        } catch {
            if let refusal = OptionValue.refusal { fail(refusal.description, code: 64) }
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let cleaned = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            fail(cleaned, code: 64)
        }
    }

    /// `--theta -1` as `--theta=-1`: ArgumentParser takes a value that starts with a dash for an option and would
    /// report a missing value; joined, the value reaches the option's own check, which says what is allowed.
    /// Only a negative number (or -inf, -nan), alone or first in a list, is joined, and never after `--`.
    static func joiningNegativeValues(_ arguments: [String]) -> [String] {
        var joined: [String] = []
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--" { return joined + arguments[i...] }
            if argument.hasPrefix("--"), !argument.contains("="), i + 1 < arguments.count,
               isNegativeValue(arguments[i + 1])
            {
                joined.append(argument + "=" + arguments[i + 1])
                i += 2
            } else {
                joined.append(argument)
                i += 1
            }
        }
        return joined
    }

    static func isNegativeValue(_ text: String) -> Bool {
        guard text.hasPrefix("-"), text.count > 1 else { return false }
        let rest = text.dropFirst().lowercased()
        return rest.first.map { $0.isNumber || $0 == "." } == true || rest.hasPrefix("inf") || rest.hasPrefix("nan")
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data("snn-theory: error: \(message)\n".utf8))
        Foundation.exit(code)
    }
}

/// A failure the tool reports itself: one line, and the exit code (64: bad input, 70: internal numerical failure).
/// Thrown from `validate()` it reaches the user through ArgumentParser's message, hence the description.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String
    var code: Int32 = 64

    var description: String { message }
}

extension CommandFailure {
    /// A record file's failure (`--output`, `--resume`) in one line that names the option.
    init(_ failure: JSONLinesFile.Failure, parameter: String) {
        self.init(message: failure.operation == .locked
            ? "\(parameter): '\(failure.path)' is being written by another snn-theory process"
            : "\(parameter): \(failure)")
    }
}

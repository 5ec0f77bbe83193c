import Foundation
import SNNModel
import Testing

/// Surrogates are read from their command-line spelling with the frameworks' defaults, refuse what is not a
/// surrogate in one line naming `surrogate`, and evaluate h(x) as the frameworks' backward passes write it.
@Suite struct SurrogateTests {
    @Test func omittedScalesTakeTheFrameworksDefaults() throws {
        let expected: [(String, Double, Double)] = [
            ("atan", 2, 1), ("fast_sigmoid", 25, 1), ("sigmoid", 25, 1), ("triangular", 1, 1),
            ("straight_through", 1, 1), ("spike_rate_escape", 1, 25), ("rect", 1, 1), ("piecewise_quadratic", 1, 1),
            ("gaussian", 0.3989422804014327, 1),
        ]
        #expect(expected.count == Surrogate.Kind.allCases.count)
        for (name, scale, amplitude) in expected {
            let s = try Surrogate(parsing: name)
            #expect(s.kind.rawValue == name)
            #expect(s.scale == scale, "\(name)")
            #expect(s.amplitude == amplitude, "\(name)")
        }
    }

    @Test func givenScaleAndAmplitudeAreKeptAndSpelledBack() throws {
        let atan = try Surrogate(parsing: "atan:5")
        #expect(atan.kind == .atan && atan.scale == 5 && atan.amplitude == 1)
        let escape = try Surrogate(parsing: "spike_rate_escape:2:50")
        #expect(escape.kind == .spikeRateEscape && escape.scale == 2 && escape.amplitude == 50)
        let gaussian = try Surrogate(parsing: "gaussian:0.43")
        #expect(gaussian.scale == 0.43)
        for text in ["atan:5.0", "spike_rate_escape:2.0:50.0", "gaussian:0.43", "straight_through", "rect:4.0",
                     "spike_rate_escape:1.0", "fast_sigmoid:25.0:2.0"] {
            let s = try Surrogate(parsing: text)
            #expect(s.description == text)
            #expect(try Surrogate(parsing: s.description) == s)
        }
    }

    @Test func unknownNamesAndBadScalesAreRefusedInOneLineNamingSurrogate() {
        for text in ["", "relu", "ATAN", "atan:", "atan:x", "atan:0", "atan:-2", "atan:nan", "atan:inf", "atan:2e6",
                     "atan:1e-7", "atan:2:3:4", "straight_through:1", "gaussian:0.43:", "sigmoid::2"] {
            #expect(throws: ModelError.invalid(parameter: "surrogate", value: text, allowed: Surrogate.allowedSpelling),
                    "\(text)") { try Surrogate(parsing: text) }
        }
        let message = ModelError.invalid(parameter: "surrogate", value: "relu", allowed: Surrogate.allowedSpelling)
            .description
        #expect(!message.contains("\n"))
        #expect(message.contains("atan (alpha, 2.0)") && message.contains("spike_rate_escape (beta, 1.0)")
                && message.contains("straight_through (no parameter)") && message.contains("gaussian (std a, 0.39"))
    }

    @Test func parametersOutOfRangeAreRefusedWhenMadeDirectly() {
        #expect(throws: ModelError.self) { try Surrogate(.atan, scale: 0) }
        #expect(throws: ModelError.self) { try Surrogate(.gaussian, amplitude: -1) }
        #expect(throws: ModelError.self) { try Surrogate(.straightThrough, scale: 1) }
        #expect(throws: Never.self) { try Surrogate(.straightThrough) }
    }

    /// The frameworks' formulas evaluated by hand at chosen points.
    @Test func derivativeFollowsTheFrameworksFormulas() throws {
        let pi = Double.pi
        let atan = try Surrogate(.atan)
        #expect(atan.derivative(0.0) == 1)
        #expect(abs(atan.derivative(0.5) - 1 / (1 + pi * pi / 4)) < 1e-16)
        let fast = try Surrogate(.fastSigmoid)
        #expect(fast.derivative(0.0) == 1 && fast.derivative(-0.04) == 0.25 && fast.derivative(0.12) == 0.0625)
        let sigmoid = try Surrogate(.sigmoid, scale: 4)
        #expect(sigmoid.derivative(0.0) == 1)
        let e = exp(-2.0)
        #expect(abs(sigmoid.derivative(0.5) - 4 * e / ((1 + e) * (1 + e))) < 1e-15)
        #expect(sigmoid.derivative(-0.5) == sigmoid.derivative(0.5))
        #expect(sigmoid.derivative(-1000.0) == 0)
        let triangular = try Surrogate(.triangular, scale: 0.5)
        #expect(triangular.derivative(-1e-300) == 0.5 && triangular.derivative(0.0) == -0.5
                && triangular.derivative(7.0) == -0.5)
        let st = try Surrogate(.straightThrough)
        #expect(st.derivative(-1e9) == 1 && st.derivative(0.0) == 1)
        let escape = try Surrogate(.spikeRateEscape, scale: 2)
        #expect(escape.derivative(1.0) == 25)
        #expect(abs(escape.derivative(0.0) - 25 * exp(-2.0)) < 1e-14)
        #expect(escape.derivative(2.0) == escape.derivative(0.0))
        let rect = try Surrogate(.rectangular, scale: 4)
        #expect(rect.derivative(0.124) == 4 && rect.derivative(-0.124) == 4)
        #expect(rect.derivative(0.125) == 0 && rect.derivative(-0.125) == 0)
        let pq = try Surrogate(.piecewiseQuadratic, scale: 2)
        #expect(pq.derivative(0.0) == 2 && pq.derivative(0.25) == 1 && pq.derivative(-0.25) == 1)
        #expect(pq.derivative(0.5) == 0 && pq.derivative(0.6) == 0)
        let gaussian = try Surrogate(.gaussian, scale: 0.5)
        #expect(abs(gaussian.derivative(0.5) - exp(-0.5) / (0.5 * (2 * pi).squareRoot())) < 1e-15)
        #expect(try Surrogate(.gaussian).derivative(0.0) == 1)
    }

    @Test func singlePrecisionAgreesWithDoubleToFloatRounding() throws {
        let xs: [Double] = [-3, -0.9, -0.5, -0.11, -0.02, 0, 0.013, 0.2, 0.37, 0.99, 1, 1.4, 2.5]
        for kind in Surrogate.Kind.allCases {
            for scale in kind == .straightThrough ? [nil] : [nil, 0.7, 4] as [Double?] {
                let s = try Surrogate(kind, scale: scale)
                for x in xs {
                    let double = s.derivative(Double(Float(x))), single = Double(s.derivative(Float(x)))
                    #expect(abs(single - double) <= 1e-5 * abs(double) + 1e-30, "\(s) at \(x)")
                }
            }
        }
        #expect(try Surrogate(.sigmoid).derivative(Float(-5)) == Surrogate(.sigmoid).derivative(Float(5)))
        #expect(try !Surrogate(.sigmoid).derivative(Float(-50)).isNaN)
    }

    /// The backward pass evaluates a column of potentials at a time: the same bits as one value at a time, for every
    /// family, at potentials across each family's kinks and tails (and lengths that leave a partial vector).
    @Test func columnEvaluationGivesTheSingleValuesBits() throws {
        let potentials: [Float] = (0..<203).map { Float($0 - 101) * 0.031 + 1 } + [1, 0.5, 1.5, -40, 60, 1.0000001]
        let theta: Float = 1
        for kind in Surrogate.Kind.allCases {
            for scale in kind == .straightThrough ? [nil] : [nil, 0.7, 4] as [Double?] {
                let s = try Surrogate(kind, scale: scale, amplitude: kind == .straightThrough ? nil : 1.5)
                var column = [Float](repeating: .nan, count: potentials.count)
                s.derivatives(of: potentials, threshold: theta, into: &column, count: potentials.count)
                let one = potentials.map { s.derivative($0 - theta) }
                #expect(column.map(\.bitPattern) == one.map(\.bitPattern), "\(s)")
            }
        }
    }
}

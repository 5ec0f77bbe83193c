import SNNSupport
import Testing

/// Significant figures as printf's %g and %e give them: plain between 1e-3 and 1e6, scientific outside.
@Suite struct SignificantFiguresTests {
    @Test func twoFiguresPlainInsideAndScientificOutside() {
        #expect(SignificantFigures.text(3e11, digits: 2) == "3.0e+11")
        #expect(SignificantFigures.text(123_456, digits: 2) == "1.2e+05")
        #expect(SignificantFigures.text(1_234_567, digits: 2) == "1.2e+06")
        #expect(SignificantFigures.text(0.5, digits: 2) == "0.5")
        #expect(SignificantFigures.text(0.000_123_4, digits: 2) == "1.2e-04")
    }

    @Test func specialValuesHaveTheirNames() {
        #expect(SignificantFigures.text(.nan) == "nan")
        #expect(SignificantFigures.text(-.infinity) == "-inf")
        #expect(SignificantFigures.text(0) == "0")
        #expect(SignificantFigures.text(-2.5) == "-2.5")
    }
}

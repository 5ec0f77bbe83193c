import Foundation
import SNNFormats
import Testing

@Suite struct FormattingTests {
    /// RFC 4180: a field holding a comma, a double quote or a line break is enclosed in double quotes, and a double
    /// quote inside is written twice.
    @Test func csvFieldsAreQuotedOnlyWhenTheyMustBe() {
        #expect(Format.csvField("paper") == "paper")
        #expect(Format.csvField("") == "")
        #expect(Format.csvField("sigma-w:0.5") == "sigma-w:0.5")
        #expect(Format.csvField("a,b") == "\"a,b\"")
        #expect(Format.csvField("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(Format.csvField("two\nlines") == "\"two\nlines\"")
    }

    @Test func tableColumnsAreRightAlignedUnderARule() {
        let table = Format.table(header: ["a", "bbb"], rows: [["10", "2"], ["1", "22222"]])
        #expect(table == """
             a    bbb
            --  -----
            10      2
             1  22222
            """)
        #expect(Format.table(header: ["only"], rows: []) == "only\n----")
    }

    /// C's %.4g between 1e-3 and 1e6, %.3e outside; names for the non-finite.
    @Test func numbersHaveSignificantFigures() {
        #expect(Format.number(1234.5678) == "1235")
        #expect(Format.number(0.5) == "0.5")
        #expect(Format.number(0.001) == "0.001")
        #expect(Format.number(0.000123) == "1.230e-04")
        #expect(Format.number(1e6) == "1.000e+06")
        #expect(Format.number(-2.5e-7, digits: 2) == "-2.5e-07")
        #expect(Format.number(0) == "0")
        #expect(Format.number(.nan) == "nan")
        #expect(Format.number(.infinity) == "inf")
        #expect(Format.number(-.infinity) == "-inf")
    }

    /// A value below Double's range, known by its logarithm: 4.4e-771 (ln = ln 4.4 - 771 ln 10).
    @Test func valuesPastDoublesRangePrintFromTheirLogarithm() {
        #expect(Format.fromLog(value: 0, log: log(4.4) - 771 * log(10.0)) == "4.40e-771")
        #expect(Format.fromLog(value: 0, log: -.infinity) == "<1e-10000")
        #expect(Format.fromLog(value: 0, log: -1e5 * log(10.0)) == "<1e-10000")
        #expect(Format.fromLog(value: 0.25, log: log(0.25)) == "0.25")
    }

    @Test func exactIsShortestRoundTripOrEmpty() {
        #expect(Format.exact(0.1) == "0.1")
        #expect(Format.exact(2) == "2.0")
        #expect(Format.exact(nil) == "")
        #expect(Format.exact(.nan) == "")
        #expect(Format.exact(-.infinity) == "")
    }

    @Test func byteCountsHaveDecimalUnits() {
        #expect(ByteCount.text(0) == "0 B")
        #expect(ByteCount.text(999) == "999 B")
        #expect(ByteCount.text(1000) == "1.0 KB")
        #expect(ByteCount.text(1_500_000) == "1.5 MB")
        #expect(ByteCount.text(2.5e9) == "2.5 GB")
        #expect(ByteCount.text(3e24) == "3000.0 ZB")
    }
}

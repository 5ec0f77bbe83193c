import Foundation
import SNNFormats
import Testing

/// What `JSON.rendered` writes: RFC 8259 text with the keys in the order given, numbers as Swift's shortest
/// round-trip text, arrays of scalars on one line.
@Suite struct JSONRenderingTests {
    @Test func keysKeepTheirOrder() {
        let value = JSON.object([("zeta", .integer(1)), ("alpha", .integer(2)), ("mid", .integer(3))])
        #expect(value.rendered(pretty: false) == #"{"zeta":1,"alpha":2,"mid":3}"#)
        #expect(value.rendered() == "{\n  \"zeta\": 1,\n  \"alpha\": 2,\n  \"mid\": 3\n}")
    }

    @Test func arraysOfScalarsStayOnOneLineAndRecordsGetALineEach() {
        let value = JSON.object([
            ("list", .array([.integer(1), .number(2.5), .string("a"), .null, .bool(true), .array([.integer(3)])])),
            ("records", .array([.object([("k", .integer(1))]), .object([])])),
            ("empty", .array([])),
            ("nested", .object([("inner", .object([("deep", .bool(false))]))])),
        ])
        let expected = """
            {
              "list": [1, 2.5, "a", null, true, [3]],
              "records": [
                {
                  "k": 1
                },
                {}
              ],
              "empty": [],
              "nested": {
                "inner": {
                  "deep": false
                }
              }
            }
            """
        #expect(value.rendered() == expected)
        #expect(value.rendered(pretty: false) == #"{"list":[1, 2.5, "a", null, true, [3]],"records":[{"k":1},{}],"#
            + #""empty":[],"nested":{"inner":{"deep":false}}}"#)
    }

    @Test func numbersAreShortestRoundTripTextAndIntegersHaveNoPoint() {
        let cases: [(JSON, String)] = [
            (.number(1), "1.0"), (.number(0.1), "0.1"), (.number(-2.5), "-2.5"), (.number(1e-5), "1e-05"),
            (.number(.leastNonzeroMagnitude), "5e-324"), (.number(1.7976931348623157e308), "1.7976931348623157e+308"),
            (.number(-0.0), "-0.0"), (.number(0.1 + 0.2), "0.30000000000000004"),
            (.integer(3), "3"), (.integer(-9_223_372_036_854_775_808), "-9223372036854775808"),
        ]
        for (value, text) in cases { #expect(value.rendered() == text) }
    }

    /// JSON has no NaN or infinity: they are written null, and `finite` makes them (and nil) null.
    @Test func nonFiniteNumbersAreNull() {
        for x in [Double.nan, .infinity, -.infinity] {
            #expect(JSON.number(x).rendered() == "null")
            #expect(JSON.finite(x) == .null)
        }
        #expect(JSON.finite(nil) == .null)
        #expect(JSON.finite(2) == .number(2))
        #expect(JSON.array([.number(.nan), .number(1)]).rendered() == "[null, 1.0]")
    }

    /// RFC 8259 section 7: quotation mark, reverse solidus and U+0000-U+001F must be escaped; anything else may be
    /// written as itself.
    @Test func stringsEscapeQuotesBackslashesAndControlCharacters() throws {
        let text = "a\"b\\c\nd\te\rf\u{01}g\u{1F}h\u{7F}é😀/"
        let rendered = JSON.string(text).rendered()
        #expect(rendered == "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u001fh\u{7F}é😀/\"")
        #expect(!rendered.unicodeScalars.contains { $0.value < 0x20 })
        #expect(JSON.object([("k\"ey\n", .null)]).rendered(pretty: false) == "{\"k\\\"ey\\n\":null}")
        #expect(try JSONDecoder().decode(String.self, from: Data(rendered.utf8)) == text)
    }

    @Test func subscriptFindsAKeyOfAnObjectOnly() {
        let value = JSON.object([("a", .integer(1)), ("b", .object([("c", .string("x"))]))])
        #expect(value["a"] == .integer(1))
        #expect(value["b"]?["c"] == .string("x"))
        #expect(value["missing"] == nil)
        #expect(JSON.array([.integer(1)])["a"] == nil)
    }

    @Test func equalityComparesOrderKindAndValue() {
        let ab = JSON.object([("a", .integer(1)), ("b", .integer(2))])
        #expect(ab != .object([("b", .integer(2)), ("a", .integer(1))]))
        #expect(ab == .object([("a", .integer(1)), ("b", .integer(2))]))
        #expect(JSON.integer(1) != .number(1))
        #expect(JSON.number(.nan) != .number(.nan))
        #expect(JSON.array([.string("x"), .null]) == .array([.string("x"), .null]))
    }
}

import Foundation
import SNNFormats
import Testing

/// JSON text read with Foundation's JSONDecoder into `JSON`, and `JSON` values into Decodable types.
@Suite struct JSONDecodingTests {
    static func read(_ text: String) throws -> JSON {
        try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
    }

    @Test func integersAndDoublesAreTold() throws {
        #expect(try Self.read("3") == .integer(3))
        #expect(try Self.read("-7") == .integer(-7))
        #expect(try Self.read("9223372036854775807") == .integer(Int.max))
        #expect(try Self.read("-9223372036854775808") == .integer(Int.min))
        #expect(try Self.read("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try Self.read("3.5") == .number(3.5))
        #expect(try Self.read("1e300") == .number(1e300))
        #expect(try Self.read("-2.5E-3") == .number(-0.0025))
        // Past Int's range a number is a Double (2^63 is exact in binary).
        #expect(try Self.read("9223372036854775808") == .number(9_223_372_036_854_775_808))
        // JSONDecoder reads an integral value as an Int however it is spelled; -0.0 has no integer.
        #expect(try Self.read("3.0") == .integer(3))
        let negativeZero = try Self.read("-0.0")
        guard case let .number(x) = negativeZero else { Issue.record("-0.0 read as \(negativeZero)"); return }
        #expect(x == 0 && x.sign == .minus)
    }

    /// What `rendered` writes comes back as the same bits.
    @Test func doublesComeBackBitForBit() throws {
        let values: [Double] = [
            0.1, 1e-300, .leastNonzeroMagnitude, 1.7976931348623157e308, 2.2250738585072014e-308,
            Double(bitPattern: 0x000F_FFFF_FFFF_FFFF), 0.30000000000000004, 1.0 / 3, .pi, -123.456e-200,
            9_007_199_254_740_991, 6.02214076e23,
        ]
        for x in values {
            let read = try Self.read(JSON.number(x).rendered())
            let y: Double? = switch read {
            case let .number(y): y
            case let .integer(n): Double(n)
            default: nil
            }
            #expect(y?.bitPattern == x.bitPattern, "\(x) read as \(read)")
        }
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2000).map { _ in Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) }
        let decoded = try Self.read(JSON.array(random.map(JSON.number)).rendered())
        guard case let .array(items) = decoded else { Issue.record("not an array"); return }
        let bits = items.map { item -> UInt64? in
            switch item {
            case let .number(y): y.bitPattern
            case let .integer(n): Double(n).bitPattern
            default: nil
            }
        }
        #expect(bits == random.map(\.bitPattern))
    }

    @Test func scalarsStringsAndEscapes() throws {
        #expect(try Self.read("null") == .null)
        #expect(try Self.read("true") == .bool(true))
        #expect(try Self.read(" false ") == .bool(false))
        #expect(try Self.read(#""plain""#) == .string("plain"))
        #expect(try Self.read(#""\u00e9\ud83d\ude00\n\t\"\\\/""#) == .string("é😀\n\t\"\\/"))
        #expect(try Self.read(#"[1, "1", true, null]"#) == .array([.integer(1), .string("1"), .bool(true), .null]))
    }

    /// JSONDecoder keeps no key order, so keys come back sorted (the same every run); the first of repeated keys wins.
    @Test func objectsHaveSortedKeys() throws {
        #expect(try Self.read(#"{"b": 1, "a": {"z": [], "y": null}, "c": "x"}"#)
            == .object([("a", .object([("y", .null), ("z", .array([]))])), ("b", .integer(1)), ("c", .string("x"))]))
        #expect(try Self.read(#"{"a": 1, "a": 2}"#) == .object([("a", .integer(1))]))
    }

    /// Malformed text, numbers past Double's range and nesting past 512 levels throw; nothing crashes or hangs.
    @Test func malformedInputIsRefused() throws {
        let bad = [
            "", " ", "{", "}", "[1 2]", #"{"a"}"#, #"{"a" 1}"#, "nul", "tru", #""unterminated"#, #""bad \x escape""#,
            #""\ud800""#, #""\u12""#, "01", "+1", ".5", "1.", "1e", "NaN", "Infinity", "1e400", "[1] 2", "\"a\u{01}b\"",
            String(repeating: "[", count: 100_000),
            String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
            String(repeating: "{\"a\":", count: 100_000),
        ]
        for text in bad {
            #expect(throws: (any Error).self, "\(text.prefix(30))") { try Self.read(text) }
        }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSON.self, from: Data([0x22, 0xFF, 0x22])) }
        let deep = try Self.read(String(repeating: "[", count: 200) + String(repeating: "]", count: 200))
        var depth = 0, value = deep
        while case let .array(items) = value, let first = items.first {
            depth += 1
            value = first
        }
        #expect(depth == 199 && value == .array([]))
    }

    struct Record: Codable, Equatable {
        struct Inner: Codable, Equatable {
            let flag: Bool
            let values: [Double]
        }

        let count: Int
        let ratio: Double
        let missing: Double?
        let name: String
        let inner: Inner
        let small: UInt8
        let float: Float
    }

    /// A Decodable type built from a `JSON` value is the one JSONDecoder builds from the value's text.
    @Test func valuesDecodeAsTheirTextWould() throws {
        let value = JSON.object([
            ("count", .integer(3)), ("ratio", .integer(2)), ("missing", .null), ("name", .string("é")),
            ("inner", .object([
                ("flag", .bool(true)),
                ("values", .array([.number(0.1), .integer(-4), .number(.leastNonzeroMagnitude)])),
            ])),
            ("small", .integer(255)), ("float", .number(0.5)),
        ])
        let direct = try value.decode(Record.self)
        let viaText = try JSONDecoder().decode(Record.self, from: Data(value.rendered().utf8))
        #expect(direct == viaText)
        #expect(direct == Record(count: 3, ratio: 2, missing: nil, name: "é",
                                 inner: .init(flag: true, values: [0.1, -4, .leastNonzeroMagnitude]), small: 255,
                                 float: 0.5))
    }

    @Test func valuesOfTheWrongShapeAreRefused() throws {
        let good: [(String, JSON)] = [
            ("count", .integer(3)), ("ratio", .number(1)), ("missing", .number(2)), ("name", .string("n")),
            ("inner", .object([("flag", .bool(false)), ("values", .array([]))])), ("small", .integer(0)),
            ("float", .number(1)),
        ]
        #expect(try JSON.object(good).decode(Record.self).missing == 2)
        func replacing(_ key: String, with value: JSON?) -> JSON {
            .object(good.compactMap { $0.0 == key ? value.map { (key, $0) } : $0 })
        }
        for (key, value) in [("count", JSON.number(2.5)), ("count", .string("3")), ("small", .integer(256)),
                             ("small", .integer(-1)), ("name", .integer(1)), ("ratio", .null),
                             ("inner", .array([])), ("count", nil)] as [(String, JSON?)]
        {
            #expect(throws: DecodingError.self, "\(key): \(String(describing: value))") {
                try replacing(key, with: value).decode(Record.self)
            }
        }
        #expect(throws: DecodingError.self) { try JSON.array([]).decode(Record.self) }
    }
}

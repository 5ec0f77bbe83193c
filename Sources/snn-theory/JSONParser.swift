/// Reads JSON text back into the ordered `JSON` value, losslessly for what `JSON.rendered` writes: a number with a
/// fraction or an exponent becomes `.number` through Swift's own `Double(String)` (so the shortest round-trip text
/// `rendered` writes comes back as the same bits), any other number `.integer`. Nesting is limited, so no input
/// can exhaust the stack.
struct JSONParser {
    struct Failure: Error, CustomStringConvertible {
        let offset: Int
        let reason: String
        var description: String { "\(reason) at byte \(offset + 1)" }
    }

    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var i = 0

    private init(_ text: String) { bytes = Array(text.utf8) }

    /// The one JSON value that is the whole of `text` (surrounding whitespace allowed).
    static func parse(_ text: String) throws -> JSON {
        var parser = JSONParser(text)
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.i == parser.bytes.count else { throw parser.failure("unexpected text after the value") }
        return value
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: i, reason: reason) }

    private mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for b in literal.utf8 {
            guard i < bytes.count, bytes[i] == b else { throw failure("expected '\(literal)'") }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSON {
        guard depth < Self.maximumDepth else { throw failure("nesting deeper than \(Self.maximumDepth)") }
        skipWhitespace()
        guard i < bytes.count else { throw failure("unexpected end of text") }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            var pairs: [(String, JSON)] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
                i += 1
                return .object(pairs)
            }
            while true {
                skipWhitespace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw failure("expected a key") }
                let key = try string()
                skipWhitespace()
                try expect(":")
                pairs.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard i < bytes.count else { throw failure("unexpected end of text in an object") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect("}")
                return .object(pairs)
            }
        case UInt8(ascii: "["):
            i += 1
            var items: [JSON] = []
            skipWhitespace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                i += 1
                return .array(items)
            }
            while true {
                items.append(try value(depth: depth + 1))
                skipWhitespace()
                guard i < bytes.count else { throw failure("unexpected end of text in an array") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect("]")
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try number()
        }
    }

    private mutating func number() throws -> JSON {
        let start = i
        while i < bytes.count, Self.isNumberByte(bytes[i]) { i += 1 }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        guard Self.isJSONNumber(text) else {
            i = start
            throw failure("expected a value")
        }
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let n = Int(text) { return .integer(n) }
        guard let x = Double(text), x.isFinite else {
            i = start
            throw failure("number out of range")
        }
        return .number(x)
    }

    private static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    /// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    private static func isJSONNumber(_ s: String) -> Bool {
        var u = Array(s.utf8)[...]
        func digits() -> Int {
            var n = 0
            while let c = u.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { u = u.dropFirst(); n += 1 }
            return n
        }
        if u.first == UInt8(ascii: "-") { u = u.dropFirst() }
        if u.first == UInt8(ascii: "0") { u = u.dropFirst() } else if digits() == 0 { return false }
        if u.first == UInt8(ascii: ".") {
            u = u.dropFirst()
            if digits() == 0 { return false }
        }
        if u.first == UInt8(ascii: "e") || u.first == UInt8(ascii: "E") {
            u = u.dropFirst()
            if u.first == UInt8(ascii: "+") || u.first == UInt8(ascii: "-") { u = u.dropFirst() }
            if digits() == 0 { return false }
        }
        return u.isEmpty
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw failure("bad \\u escape")
        }
        i += 4
        return v
    }

    private mutating func string() throws -> String {
        i += 1
        var scalars = String.UnicodeScalarView()
        var run = i
        func flush(_ end: Int) { scalars.append(contentsOf: String(decoding: bytes[run..<end], as: UTF8.self).unicodeScalars) }
        while true {
            guard i < bytes.count else { throw failure("unterminated string") }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") {
                flush(i)
                i += 1
                return String(scalars)
            }
            if b < 0x20 { throw failure("control character in a string") }
            if b != UInt8(ascii: "\\") {
                i += 1
                continue
            }
            flush(i)
            i += 1
            guard i < bytes.count else { throw failure("unterminated escape") }
            let e = bytes[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if code >= 0xD800 && code < 0xDC00 {
                    try expect("\\u")
                    let low = try hex4()
                    guard low >= 0xDC00 && low < 0xE000 else { throw failure("unpaired surrogate") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw failure("bad \\u escape") }
                scalars.append(scalar)
            default: throw failure("bad escape")
            }
            run = i
        }
    }
}

extension JSON {
    /// The value under `key` of an object (nil for anything else or a missing key).
    subscript(key: String) -> JSON? {
        guard case let .object(pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }
}

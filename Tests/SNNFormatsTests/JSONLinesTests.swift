import Foundation
import SNNFormats
import SNNTestSupport
import Testing

@Suite struct JSONLinesTests {
    static func temporaryPath() -> String { Scratch.path("lines", suffix: ".jsonl") }

    /// Lines are numbered from 1 counting blank ones; a last line without its newline is set aside.
    @Test func wholeLinesAreNumberedAndACutLastLineIsSetAside() {
        let lines = JSONLines(Data("{\"a\":1}\n\n  \n[2]\n{\"cut".utf8))
        #expect(lines.lines.map(\.number) == [1, 4])
        #expect(lines.lines.map(\.text) == ["{\"a\":1}", "[2]"])
        #expect(lines.wholeLength == 16)
        #expect(lines.truncatedLength == 5)

        let whole = JSONLines(Data("x\ny\n".utf8))
        #expect(whole.lines.count == 2 && whole.wholeLength == 4 && whole.truncatedLength == 0)
        let empty = JSONLines(Data())
        #expect(empty.lines.isEmpty && empty.wholeLength == 0 && empty.truncatedLength == 0)
    }

    @Test func appendWritesWholeLinesAndTruncateCutsBack() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try JSONLinesFile(path: path)
        #expect(file.isEmpty)
        try file.append("{\"n\":1}")
        try file.append("{\"n\":2}")
        #expect(!file.isEmpty)
        #expect(try file.contents() == Data("{\"n\":1}\n{\"n\":2}\n".utf8))
        try file.truncate(to: 8)
        #expect(try file.contents() == Data("{\"n\":1}\n".utf8))
        // Appends go to the end of what is left.
        try file.append("{\"n\":3}")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":1}\n{\"n\":3}\n")
    }

    /// A file whose last write was cut short: reopened, its whole lines read and the rest dropped.
    @Test func aLastLineCutShortIsDroppedOnReopening() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("{\"n\":1}\n{\"n\":2".utf8).write(to: URL(fileURLWithPath: path))
        let file = try JSONLinesFile(path: path)
        let lines = JSONLines(try file.contents())
        #expect(lines.lines.map(\.text) == ["{\"n\":1}"])
        #expect(lines.truncatedLength == 6)
        try file.truncate(to: lines.wholeLength)
        try file.append("{\"n\":2}")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":1}\n{\"n\":2}\n")
    }

    /// flock locks belong to an open file: a second opening is refused while the first is open, even in this process.
    @Test func aSecondWriterIsRefusedUntilTheFirstCloses() throws {
        let path = Self.temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var first: JSONLinesFile? = try JSONLinesFile(path: path)
        #expect(first != nil)
        let failure = #expect(throws: JSONLinesFile.Failure.self) { try JSONLinesFile(path: path) }
        #expect(failure?.operation == .locked)
        #expect(failure?.description == "'\(path)' is locked by another writer")
        first = nil
        #expect(try JSONLinesFile(path: path).isEmpty)
    }

    @Test func aFileThatCannotBeOpenedSaysWhy() {
        let path = "/nonexistent-\(UUID().uuidString)/cells.jsonl"
        let failure = #expect(throws: JSONLinesFile.Failure.self) { try JSONLinesFile(path: path) }
        #expect(failure?.operation == .open)
        #expect(failure?.description == "cannot open '\(path)': No such file or directory")
    }
}

import SNNFormats
import Testing

/// The three shapes of a command's output, only the asked one made.
@Suite struct OutputFormatTests {
    @Test func jsonAndTheTableGetAFinalNewlineAndCSVKeepsItsOwn() {
        let json = JSON.object([("a", .integer(1))])
        #expect(OutputFormat.json.text(json: json, csv: "", table: "") == json.rendered() + "\n")
        #expect(OutputFormat.csv.text(json: json, csv: "a\n1\n", table: "") == "a\n1\n")
        #expect(OutputFormat.table.text(json: json, csv: "", table: "a 1") == "a 1\n")
    }

    @Test func onlyTheChosenShapeIsMade() {
        var made: [String] = []
        func shape(_ name: String) -> String {
            made.append(name)
            return name
        }
        _ = OutputFormat.csv.text(json: .null, csv: shape("csv"), table: shape("table"))
        #expect(made == ["csv"])
    }
}

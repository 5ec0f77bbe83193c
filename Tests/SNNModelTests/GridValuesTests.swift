import SNNModel
import Testing

/// Grid coordinates and width lists from text: the three spellings, and one refusal naming the option for the rest.
@Suite struct GridValuesTests {
    @Test func aRangeIsEvenlySpacedWithBothEnds() throws {
        #expect(try GridValues.parse("1:2:5", parameter: "thetas") == [1, 1.25, 1.5, 1.75, 2])
    }

    @Test func aLogRangeIsGeometricAndEndsExactlyAtStop() throws {
        let values = try GridValues.parse("0.1:1000:5:log", parameter: "thetas")
        #expect(values.count == 5)
        #expect(values.first == 0.1 && values.last == 1000)
        // Consecutive ratios are all (stop / start)^(1/4) = 10.
        for (a, b) in zip(values, values.dropFirst()) { #expect(abs(b / a - 10) < 1e-9) }
    }

    @Test func aListIsSortedWithDuplicatesDroppedAndBlanksAllowed() throws {
        #expect(try GridValues.parse("2, 0.5,1,2", parameter: "thetas") == [0.5, 1, 2])
    }

    @Test(arguments: ["", "1,,2", "0,1", "-1", "1:1:3", "2:1:3", "1:2:1", "1:2:1001", "1:2:3:lin", "1:inf:3", "a"])
    func refusesAnythingElseNamingTheParameter(_ text: String) {
        #expect(throws: ModelError.invalid(
            parameter: "target-variances", value: text,
            allowed: "a comma-separated list of numbers > 0, or start:stop:count[:log] with 0 < start < stop and "
                + "2 <= count <= 1000")) {
            try GridValues.parse(text, parameter: "target-variances")
        }
    }

    @Test func aListOfMoreThanTheMaximumCountIsRefused() {
        let text = (1...1001).map(String.init).joined(separator: ",")
        #expect(throws: ModelError.self) { try GridValues.parse(text, parameter: "thetas") }
        #expect((try? GridValues.parse((1...1000).map(String.init).joined(separator: ","), parameter: "x"))?.count
            == 1000)
    }

    @Test func widthsKeepTheirOrderWithinOneTo65536() throws {
        #expect(try GridValues.widths("1000,100,65536") == [1000, 100, 65536])
        for text in ["0", "65537", "1,,2", "", "1.5"] {
            #expect(throws: ModelError.invalid(parameter: "widths", value: text,
                                               allowed: "comma-separated integers from 1 to 65536")) {
                try GridValues.widths(text)
            }
        }
    }

    @Test func architectureWidthsParseIntegersAndLeaveRangesToTheArchitecture() throws {
        #expect(try Architecture.widths(parsing: "784, 0,\t10") == [784, 0, 10])
        #expect(throws: ModelError.invalid(parameter: "widths", value: "784,x",
                                           allowed: "comma-separated integers n0,n1,...,nL, each >= 1")) {
            try Architecture.widths(parsing: "784,x")
        }
    }

    @Test func stepsRunFromOneToTheMaximum() throws {
        #expect(try Network.checkedSteps(1) == 1)
        #expect(try Network.checkedSteps(Network.maximumSteps) == Network.maximumSteps)
        #expect(throws: ModelError.invalid(parameter: "steps", value: "0", allowed: "an integer from 1 to 1024")) {
            try Network.checkedSteps(0)
        }
        #expect(throws: ModelError.self) { try Network.checkedSteps(Network.maximumSteps + 1) }
    }
}

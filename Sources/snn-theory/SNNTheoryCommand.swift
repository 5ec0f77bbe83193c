import ArgumentParser
import Foundation
import SNNModel

@main
struct SNNTheoryCommand: ParsableCommand {
    static let version = "0.1.0"

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
        subcommands: [PredictCommand.self, SimulateCommand.self, CompareCommand.self, ValidityCommand.self, PhaseCommand.self, AdviseCommand.self, InitCommand.self, MergeCommand.self]
    )

    /// Parses, runs, and turns every failure into one line on stderr and a non-zero exit, never a trace.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ModelError {
            fail(error.description, code: 64)
        } catch let error as CommandFailure {
            fail(error.message, code: error.code)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let cleaned = message.hasPrefix("Error: ") ? String(message.dropFirst(7)) : message
            fail(cleaned, code: 64)
        }
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

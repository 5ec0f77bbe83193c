/// A file a report writes (`--plot`, `--npy`) that could not be written, in one line naming the option. The command
/// line prints it as it prints its own failures: a message and exit code 64.
public struct OutputFailure: Error, CustomStringConvertible {
    public let message: String

    public init(message: String) {
        self.message = message
    }

    public var description: String { message }
}

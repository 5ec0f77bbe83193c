import Foundation
import SNNFormats
import SNNSimulator
import SNNVerification

extension NetworkStream {
    /// The stream of `simulate --output` (a new or empty file) or `--resume` (its records read back; a dropped last
    /// line is warned about on stderr); nil without either. Failures name the option.
    static func open(output: String?, resume: String?, model: [(String, JSON)],
                     configuration: SimulationConfiguration) throws -> NetworkStream?
    {
        guard let path = resume ?? output else { return nil }
        let option = resume != nil ? "resume" : "output"
        do {
            let stream = try NetworkStream(path: path, resuming: resume != nil, model: model,
                                           configuration: configuration)
            for warning in stream.warnings { FileHandle.standardError.write(Data((warning + "\n").utf8)) }
            return stream
        } catch let failure as JSONLinesFile.Failure {
            throw CommandFailure(failure, parameter: option)
        } catch NetworkStream.FileError.notEmpty {
            throw CommandFailure(message: "output: '\(path)' already holds networks; continue that run with "
                + "--resume \(path), or choose another file")
        } catch let error as NetworkStream.FileError {
            throw CommandFailure(message: "\(option): \(error)")
        }
    }
}

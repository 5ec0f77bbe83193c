import CHDF5

/// An HDF5 call failed. HDF5 prints nothing (its automatic error printing is off on every thread that calls it); its
/// innermost reason travels here instead, with the call and the file and object it was working on.
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// The HDF5 routine, or the layer's own operation, that failed (`H5Fopen`, `H5Dread`, `read`).
    public let operation: String
    /// The file as it was given.
    public let file: String
    /// The object inside the file (`/node/edges`), empty when the failure concerns the file itself.
    public let object: String
    /// HDF5's description of the innermost cause and its minor message, or the layer's own reason.
    public let reason: String

    public init(operation: String, file: String, object: String = "", reason: String) {
        self.operation = operation
        self.file = file
        self.object = object
        self.reason = reason
    }

    public var description: String {
        let place = object.isEmpty ? "'\(file)'" : "'\(object)' in '\(file)'"
        return "\(operation) failed on \(place): \(reason)"
    }

    /// The error HDF5 left on the calling thread's error stack, which is then cleared so that it cannot be reported
    /// again with a later failure.
    static func fromStack(_ operation: String, file: String, object: String) -> HDF5Error {
        HDF5Error(operation: operation, file: file, object: object, reason: innermostReason())
    }

    private final class Innermost {
        var reason: String?
    }

    /// Walked upward, the first frame of the stack is the innermost cause (`file signature not found`), the outer ones
    /// only restate it from each calling layer.
    private static func innermostReason() -> String {
        let found = Innermost()
        let stack = chdf5_e_default()
        _ = withExtendedLifetime(found) {
            H5Ewalk2(stack, H5E_WALK_UPWARD, { _, frame, context in
                guard let frame, let context else { return 1 }
                let found = Unmanaged<Innermost>.fromOpaque(context).takeUnretainedValue()
                var text = frame.pointee.desc.map { String(cString: $0) } ?? ""
                var kind = H5E_MINOR
                var buffer = [CChar](repeating: 0, count: 256)
                if H5Eget_msg(frame.pointee.min_num, &kind, &buffer, buffer.count) > 0 {
                    let minor = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    text += text.isEmpty ? minor : " (\(minor))"
                }
                found.reason = text
                return 1
            }, Unmanaged.passUnretained(found).toOpaque())
        }
        H5Eclear2(stack)
        // One description (a directory given as the file) embeds a ctime string with its newline.
        let reason = found.reason?.split(whereSeparator: \.isNewline).joined(separator: " ") ?? ""
        return reason.isEmpty ? "HDF5 gave no reason" : reason
    }
}

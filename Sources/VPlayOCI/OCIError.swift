// Errors of the OCI layer. Every message names the file or annotation at fault and says what
// was expected, so that one log line is enough to fix the problem.

import Foundation

public enum OCIError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// Nothing (or only white space) on stdin.
    case emptyState
    /// The state JSON does not parse, or a field has the wrong type.
    case malformedState(String)
    /// A required field of the state (`id`, `bundle`) is absent or empty.
    case missingStateField(String)
    /// The state has no pid (or pid 0) where one is required (createRuntime, prestart).
    case missingPID
    /// The state's pid is negative.
    case invalidPID(Int32)
    /// `<bundle>/config.json` does not exist.
    case missingConfig(String)
    /// `<bundle>/config.json` exists but cannot be read.
    case unreadableConfig(String, String)
    /// `<bundle>/config.json` is not a JSON object, or a field has the wrong type.
    case malformedConfig(String, String)
    /// An `io.vplay.*` annotation has a value that cannot be used.
    case invalidAnnotation(key: String, value: String, reason: String)
    /// The output directory would be inside the container's root filesystem.
    case outputInsideRootfs(output: String, rootfs: String)
    /// A hook stage that the operation does not support.
    case invalidStage(String)
    /// A hook path that is not absolute (the runtime spec requires absolute paths).
    case invalidHookPath(String)
    /// Writing config.json failed.
    case writeFailed(String, String)

    public var description: String {
        switch self {
        case .emptyState:
            return "state JSON on stdin is empty (the OCI runtime passes the container state on stdin)"
        case .malformedState(let detail):
            return "state JSON on stdin is malformed: \(detail)"
        case .missingStateField(let field):
            return "state has no \(field)"
        case .missingPID:
            return "state has no pid (createRuntime and prestart hooks need the pid of the container's init)"
        case .invalidPID(let pid):
            return "state has an invalid pid \(pid)"
        case .missingConfig(let path):
            return "config.json not found: \(path) does not exist"
        case .unreadableConfig(let path, let detail):
            return "cannot read \(path): \(detail)"
        case .malformedConfig(let path, let detail):
            return "\(path) is malformed: \(detail)"
        case .invalidAnnotation(let key, let value, let reason):
            return "annotation \(key)=\"\(value)\" is invalid: \(reason)"
        case .outputInsideRootfs(let output, let rootfs):
            return "output directory \(output) is inside the container's root filesystem \(rootfs); "
                + "bundles hold process memory and must never be written where the container can read them"
        case .invalidStage(let stage):
            return "unsupported hook stage \"\(stage)\" (expected createRuntime or prestart)"
        case .invalidHookPath(let path):
            return "hook path \"\(path)\" must be absolute"
        case .writeFailed(let path, let detail):
            return "cannot write \(path): \(detail)"
        }
    }

    public var errorDescription: String? { description }
}

import Glibc

/// Why a bundle could not be read or written. Every case names the file, and `description`
/// is a complete message for the user.
public enum BundleError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(path: String)
    case unreadable(path: String, errno: Int32)
    /// The file ends early; `detail` says which member or offset was cut.
    case truncated(path: String, detail: String)
    /// The file is complete but a structure in it is invalid; `what` says which.
    case corrupted(path: String, what: String)
    /// A member's bytes do not match the checksum recorded for them.
    case checksumMismatch(path: String, member: String)
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// Not a tar archive that starts with manifest.json.
    case notABundle(path: String)
    case writeFailed(path: String, reason: String)

    public var path: String {
        switch self {
        case .notFound(let p), .unreadable(let p, _), .truncated(let p, _), .corrupted(let p, _),
             .checksumMismatch(let p, _), .unsupportedVersion(let p, _, _), .notABundle(let p),
             .writeFailed(let p, _):
            return p
        }
    }

    public var description: String {
        switch self {
        case .notFound(let p):
            return "\(p): no such file"
        case .unreadable(let p, let e):
            return "\(p): cannot read: \(errnoString(e))"
        case .truncated(let p, let detail):
            return "\(p): bundle is truncated: \(detail)"
        case .corrupted(let p, let what):
            return "\(p): bundle is corrupted: \(what)"
        case .checksumMismatch(let p, let member):
            return "\(p): bundle is corrupted: checksum mismatch in member \(member)"
        case .unsupportedVersion(let p, let found, let supported):
            return "\(p): bundle format version \(found) is not supported (this vplay reads version \(supported))"
        case .notABundle(let p):
            return "\(p): not a vplay bundle (expected a tar archive whose first member is manifest.json)"
        case .writeFailed(let p, let reason):
            return "\(p): cannot write bundle: \(reason)"
        }
    }
}

func errnoString(_ code: Int32) -> String {
    String(cString: strerror(code))
}

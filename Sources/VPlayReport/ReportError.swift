/// Why a report could not be rendered.
public enum ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The manifest could not be turned into JSON (it never came from a bundle file).
    case manifestNotEncodable(String)

    public var description: String {
        switch self {
        case .manifestNotEncodable(let reason): return "the manifest cannot be written as JSON: \(reason)"
        }
    }
}

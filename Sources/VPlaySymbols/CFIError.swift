/// Why call-frame information could not be decoded or evaluated. Offsets are relative to the
/// start of the `.eh_frame` (or `.eh_frame_hdr`) bytes, or to the expression being evaluated.
public enum CFIError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `what` runs past the end of its section or record.
    case truncated(what: String, offset: Int)
    /// `what` is present but inconsistent (bad CIE pointer, impossible length, ...).
    case malformed(what: String, offset: Int)
    /// A valid construct this unwinder does not implement (an encoding, opcode, ...).
    case unsupported(what: String, offset: Int)

    public var description: String {
        switch self {
        case let .truncated(what, offset): return "truncated call-frame information: \(what) at offset \(hex(UInt64(offset)))"
        case let .malformed(what, offset): return "malformed call-frame information: \(what) at offset \(hex(UInt64(offset)))"
        case let .unsupported(what, offset): return "unsupported call-frame information: \(what) at offset \(hex(UInt64(offset)))"
        }
    }
}

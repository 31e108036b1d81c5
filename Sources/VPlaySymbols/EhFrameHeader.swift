/// `.eh_frame_hdr` (PT_GNU_EH_FRAME): where `.eh_frame` is, and the linker's sorted
/// (initial location, FDE address) search table.
public struct EhFrameHeader: Equatable, Sendable {
    public struct Entry: Equatable, Sendable {
        public var initialLocation: UInt64
        public var fdeAddress: UInt64
    }

    /// Link-time address of `.eh_frame`.
    public var ehFrameAddress: UInt64
    /// The binary-search table; empty when the header has none.
    public var table: [Entry]

    /// Decodes the header at link-time address `address`.
    public init(bytes: [UInt8], address: UInt64) throws(CFIError) {
        var c = DWARFCursor(bytes, baseAddress: address)
        let version = try c.u8("eh_frame_hdr version")
        guard version == 1 else { throw .unsupported(what: "eh_frame_hdr version \(version)", offset: 0) }
        let framePointerEncoding = try c.u8("eh_frame_ptr encoding")
        let countEncoding = try c.u8("fde_count encoding")
        let tableEncoding = try c.u8("table encoding")
        ehFrameAddress = try c.pointer(framePointerEncoding, dataBase: address, "eh_frame_ptr")
        table = []
        guard countEncoding != PointerEncoding.omit, tableEncoding != PointerEncoding.omit else { return }
        let count = try c.pointer(countEncoding, dataBase: address, "fde_count")
        // Each entry takes at least two bytes; a larger count is corruption, not a reason to allocate.
        guard count <= UInt64(c.remaining / 2) else { throw .truncated(what: "table of \(count) entries", offset: c.offset) }
        table.reserveCapacity(Int(count))
        for _ in 0..<count {
            let location = try c.pointer(tableEncoding, dataBase: address, "table initial location")
            let fde = try c.pointer(tableEncoding, dataBase: address, "table FDE address")
            table.append(Entry(initialLocation: location, fdeAddress: fde))
        }
    }
}

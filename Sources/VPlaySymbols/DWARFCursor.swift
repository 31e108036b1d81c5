// A forward reader over DWARF-encoded bytes (.eh_frame, .eh_frame_hdr, CFA programs and
// expressions): fixed-size integers, LEB128 and the GCC pointer encodings (DW_EH_PE_*).
// Every read is bounds-checked against `end` and throws CFIError.

/// DW_EH_PE_* pointer encodings (LSB "Linux Standard Base Core Specification", 10.5).
enum PointerEncoding {
    static let omit: UInt8 = 0xff
    static let absolute: UInt8 = 0x00
    static let uleb128: UInt8 = 0x01
    static let udata2: UInt8 = 0x02
    static let udata4: UInt8 = 0x03
    static let udata8: UInt8 = 0x04
    static let sleb128: UInt8 = 0x09
    static let sdata2: UInt8 = 0x0a
    static let sdata4: UInt8 = 0x0b
    static let sdata8: UInt8 = 0x0c
    static let pcRelative: UInt8 = 0x10
    static let textRelative: UInt8 = 0x20
    static let dataRelative: UInt8 = 0x30
    static let functionRelative: UInt8 = 0x40
    static let aligned: UInt8 = 0x50
    static let indirect: UInt8 = 0x80
}

struct DWARFCursor {
    let bytes: [UInt8]
    /// The virtual address of bytes[0], for pc-relative pointers.
    let baseAddress: UInt64
    var offset: Int
    let end: Int

    init(_ bytes: [UInt8], baseAddress: UInt64 = 0, offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.baseAddress = baseAddress
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    var atEnd: Bool { offset >= end }
    var remaining: Int { max(0, end - offset) }

    mutating func u8(_ what: String) throws(CFIError) -> UInt8 {
        guard offset >= 0, offset < end else { throw .truncated(what: what, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// `width` bytes, little-endian, zero-extended.
    mutating func unsigned(_ width: Int, _ what: String) throws(CFIError) -> UInt64 {
        guard offset >= 0, width <= end - offset else { throw .truncated(what: what, offset: offset) }
        var value: UInt64 = 0
        for i in (offset..<offset + width).reversed() { value = value << 8 | UInt64(bytes[i]) }
        offset += width
        return value
    }

    /// `width` bytes, little-endian, sign-extended.
    mutating func signed(_ width: Int, _ what: String) throws(CFIError) -> Int64 {
        let raw = try unsigned(width, what)
        let shift = UInt64(64 - width * 8)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    mutating func uleb(_ what: String) throws(CFIError) -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try u8(what)
            if shift < 64 { result |= UInt64(byte & 0x7f) << shift }
            if byte & 0x80 == 0 { return result }
            shift += 7
            // 10 bytes hold 64 bits; longer is padding no producer emits.
            guard shift < 70 else { throw .malformed(what: "\(what) (LEB128 longer than 10 bytes)", offset: start) }
        }
    }

    mutating func sleb(_ what: String) throws(CFIError) -> Int64 {
        let start = offset
        var result: Int64 = 0
        var shift: Int64 = 0
        var byte: UInt8 = 0
        repeat {
            byte = try u8(what)
            if shift < 64 { result |= Int64(byte & 0x7f) << shift }
            shift += 7
            guard shift < 77 else { throw .malformed(what: "\(what) (LEB128 longer than 10 bytes)", offset: start) }
        } while byte & 0x80 != 0
        if shift < 64 && byte & 0x40 != 0 { result |= Int64(-1) << shift }
        return result
    }

    mutating func cString(_ what: String) throws(CFIError) -> String {
        let start = offset
        while true {
            if try u8(what) == 0 { return String(decoding: bytes[start..<offset - 1], as: UTF8.self) }
        }
    }

    mutating func skip(_ count: Int, _ what: String) throws(CFIError) {
        guard count >= 0, count <= end - offset else { throw .truncated(what: what, offset: offset) }
        offset += count
    }

    mutating func take(_ count: Int, _ what: String) throws(CFIError) -> [UInt8] {
        let start = offset
        try skip(count, what)
        return Array(bytes[start..<offset])
    }

    /// A pointer in `encoding`. pc-relative values are made absolute with `baseAddress`;
    /// data-relative ones with `dataBase` (the .eh_frame_hdr address). Indirect, text- and
    /// function-relative pointers need a loaded image and are unsupported.
    mutating func pointer(_ encoding: UInt8, dataBase: UInt64? = nil, _ what: String) throws(CFIError) -> UInt64 {
        let start = offset
        guard encoding & PointerEncoding.indirect == 0 else {
            throw .unsupported(what: "indirect pointer encoding \(hex(UInt64(encoding))) for \(what)", offset: start)
        }
        let application = encoding & 0x70
        if application == PointerEncoding.aligned {
            let misalignment = Int((baseAddress &+ UInt64(offset)) & 7)
            if misalignment != 0 { try skip(8 - misalignment, what) }
        }
        let value = try pointerValue(encoding & 0x0f, what)
        switch application {
        case PointerEncoding.absolute, PointerEncoding.aligned:
            return value
        case PointerEncoding.pcRelative:
            return value &+ baseAddress &+ UInt64(start)
        case PointerEncoding.dataRelative:
            guard let base = dataBase else {
                throw .unsupported(what: "data-relative pointer for \(what) outside .eh_frame_hdr", offset: start)
            }
            return value &+ base
        default:
            throw .unsupported(what: "pointer application \(hex(UInt64(application))) for \(what)", offset: start)
        }
    }

    /// The raw value of a pointer format (low nibble of the encoding), sign-extended to 64 bits.
    mutating func pointerValue(_ format: UInt8, _ what: String) throws(CFIError) -> UInt64 {
        switch format {
        case PointerEncoding.absolute, PointerEncoding.udata8, PointerEncoding.sdata8: return try unsigned(8, what)
        case PointerEncoding.uleb128: return try uleb(what)
        case PointerEncoding.udata2: return try unsigned(2, what)
        case PointerEncoding.udata4: return try unsigned(4, what)
        case PointerEncoding.sleb128: return UInt64(bitPattern: try sleb(what))
        case PointerEncoding.sdata2: return UInt64(bitPattern: try signed(2, what))
        case PointerEncoding.sdata4: return UInt64(bitPattern: try signed(4, what))
        default: throw .unsupported(what: "pointer format \(hex(UInt64(format))) for \(what)", offset: offset)
        }
    }

    /// Passes over a pointer whose value is not needed (a personality routine), whatever it
    /// is relative to.
    mutating func skipPointer(_ encoding: UInt8, _ what: String) throws(CFIError) {
        if encoding & 0x70 == PointerEncoding.aligned {
            let misalignment = Int((baseAddress &+ UInt64(offset)) & 7)
            if misalignment != 0 { try skip(8 - misalignment, what) }
        }
        _ = try pointerValue(encoding & 0x0f, what)
    }
}

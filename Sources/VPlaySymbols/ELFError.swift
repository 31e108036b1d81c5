/// Why bytes could not be read as an ELF object. Every case names the structure concerned
/// and, where there is one, the file offset at which the problem was found.
public enum ELFError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the magic number and identification need, or no `\x7fELF` magic.
    case notELF
    /// A valid ELF file of a kind this reader does not handle (32-bit, big-endian, ...).
    case unsupported(what: String, value: UInt64)
    /// `what` needs `length` bytes at `offset`, past the end of the data.
    case truncated(what: String, offset: UInt64, length: UInt64)
    /// `what` at `offset` is present but inconsistent (bad index, impossible size, ...).
    case malformed(what: String, offset: UInt64)

    public var description: String {
        switch self {
        case .notELF:
            return "not an ELF file (no \\x7fELF magic)"
        case let .unsupported(what, value):
            return "unsupported ELF \(what) \(value)"
        case let .truncated(what, offset, length):
            return "truncated ELF: \(what) needs \(length) bytes at offset \(hex(offset))"
        case let .malformed(what, offset):
            return "malformed ELF: \(what) at offset \(hex(offset))"
        }
    }
}

// Throwing reads for the ELF parser: the nil of a ByteReader read becomes `.truncated`.
extension ByteReader {
    func u8(_ offset: UInt64, _ what: String) throws(ELFError) -> UInt8 {
        guard let v = u8(offset) else { throw .truncated(what: what, offset: offset, length: 1) }
        return v
    }

    func u16(_ offset: UInt64, _ what: String) throws(ELFError) -> UInt16 {
        guard let v = u16(offset) else { throw .truncated(what: what, offset: offset, length: 2) }
        return v
    }

    func u32(_ offset: UInt64, _ what: String) throws(ELFError) -> UInt32 {
        guard let v = u32(offset) else { throw .truncated(what: what, offset: offset, length: 4) }
        return v
    }

    func u64(_ offset: UInt64, _ what: String) throws(ELFError) -> UInt64 {
        guard let v = u64(offset) else { throw .truncated(what: what, offset: offset, length: 8) }
        return v
    }

    func slice(_ offset: UInt64, _ length: UInt64, _ what: String) throws(ELFError) -> [UInt8] {
        guard let v = slice(offset, length) else { throw .truncated(what: what, offset: offset, length: length) }
        return v
    }

    /// Checks that a table of `count` entries of `size` bytes at `offset` lies inside the data,
    /// before anything is allocated for it.
    func requireTable(_ offset: UInt64, count: UInt64, size: UInt64, _ what: String) throws(ELFError) {
        guard let total = count.multiplied(by: size) else { throw .malformed(what: "\(what) size", offset: offset) }
        guard range(offset, total) != nil else { throw .truncated(what: what, offset: offset, length: total) }
    }
}

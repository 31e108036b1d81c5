// Bounds-checked little-endian reads over a byte array. Every offset coming from a file is
// untrusted, so arithmetic is done in UInt64 with overflow checks and nothing here can trap;
// a read that does not fit returns nil and the caller turns it into its own typed error.

struct ByteReader: Sendable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var count: UInt64 { UInt64(bytes.count) }

    /// The index range [offset, offset+length) when it lies inside the bytes.
    func range(_ offset: UInt64, _ length: UInt64) -> Range<Int>? {
        guard length <= count, offset <= count - length else { return nil }
        return Int(offset)..<Int(offset + length)
    }

    func u8(_ offset: UInt64) -> UInt8? {
        guard offset < count else { return nil }
        return bytes[Int(offset)]
    }

    func u16(_ offset: UInt64) -> UInt16? { unsigned(offset, 2).map { UInt16(truncatingIfNeeded: $0) } }
    func u32(_ offset: UInt64) -> UInt32? { unsigned(offset, 4).map { UInt32(truncatingIfNeeded: $0) } }
    func u64(_ offset: UInt64) -> UInt64? { unsigned(offset, 8) }

    /// `width` bytes (1...8) at `offset`, little-endian, zero-extended.
    func unsigned(_ offset: UInt64, _ width: Int) -> UInt64? {
        guard let r = range(offset, UInt64(width)) else { return nil }
        var value: UInt64 = 0
        for i in r.reversed() { value = value << 8 | UInt64(bytes[i]) }
        return value
    }

    /// A copy of [offset, offset+length).
    func slice(_ offset: UInt64, _ length: UInt64) -> [UInt8]? {
        range(offset, length).map { Array(bytes[$0]) }
    }

    /// The NUL-terminated string at `offset`, which must end before `limit` (exclusive).
    func cString(_ offset: UInt64, limit: UInt64) -> String? {
        let end = min(limit, count)
        guard offset < end else { return nil }
        var i = Int(offset)
        while i < Int(end) {
            if bytes[i] == 0 { return String(decoding: bytes[Int(offset)..<i], as: UTF8.self) }
            i += 1
        }
        return nil
    }
}

extension UInt64 {
    /// self + other, or nil on overflow (offsets and sizes read from a file may be anything).
    func adding(_ other: UInt64) -> UInt64? {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }

    func multiplied(by other: UInt64) -> UInt64? {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? nil : product
    }
}

/// Lower-case hex of `value` with a 0x prefix, for messages.
func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

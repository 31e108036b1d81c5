/// Hexadecimal and little-endian helpers for packet payloads.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two lowercase hex digits per byte, in order.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0xf)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encode(_ text: String) -> String { encode(Array(text.utf8)) }

    /// The value of one ASCII hex digit, nil for anything else.
    static func digit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Bytes from pairs of hex digits; nil for an odd length or a non-hex character.
    static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(text.count / 2)
        var high: UInt8?
        for c in text {
            guard let d = digit(c) else { return nil }
            if let h = high {
                out.append(h << 4 | d)
                high = nil
            } else {
                high = d
            }
        }
        return out
    }

    static func decode(_ text: Substring) -> [UInt8]? { decode(Array(text.utf8)) }

    /// An unsigned number written in hex (big-endian digits, as in addresses); nil if empty,
    /// not hex or too large.
    static func number(_ text: Substring) -> UInt64? {
        guard !text.isEmpty, text.count <= 16 else { return nil }
        return UInt64(text, radix: 16)
    }

    static func number(_ bytes: some Collection<UInt8>) -> UInt64? {
        number(Substring(decoding: bytes, as: UTF8.self))
    }

    /// `value` as `count` little-endian bytes, hex-encoded (register values in g/p replies).
    static func littleEndian(_ value: UInt64, bytes count: Int) -> String {
        encode(littleEndianBytes(value, count: count))
    }

    static func littleEndianBytes(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { i in i < 8 ? UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) : 0 }
    }

    static func fromLittleEndian(_ bytes: some Collection<UInt8>) -> UInt64 {
        var v: UInt64 = 0
        for (i, b) in bytes.prefix(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
        return v
    }

    static func bigEndianBytes(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { i in UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - i))) }
    }
}

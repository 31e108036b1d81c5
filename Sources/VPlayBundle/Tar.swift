/// The subset of POSIX ustar (IEEE 1003.1) that bundles use: regular files with short names.
/// Numbers that do not fit a field's octal digits use the GNU/star base-256 form, which GNU tar
/// and bsdtar read.
enum Tar {
    static let block = 512
    /// Two zero blocks end the archive.
    static let endMarkerSize = 2 * block

    struct HeaderError: Error { let message: String }

    struct Header {
        var name: String
        var size: Int
    }

    static func paddedSize(_ size: Int) -> Int {
        (size + block - 1) / block * block
    }

    static func header(name: String, size: Int, mode: UInt64, uid: UInt64, gid: UInt64, mtime: UInt64) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: block)
        put(Array(name.utf8.prefix(99)), into: &h, at: 0)
        putNumber(mode, into: &h, at: 100, width: 8)
        putNumber(uid, into: &h, at: 108, width: 8)
        putNumber(gid, into: &h, at: 116, width: 8)
        putNumber(UInt64(size), into: &h, at: 124, width: 12)
        putNumber(mtime, into: &h, at: 136, width: 12)
        h[156] = UInt8(ascii: "0")                        // regular file
        put(Array("ustar\0".utf8), into: &h, at: 257)
        put(Array("00".utf8), into: &h, at: 263)
        // Checksum: six octal digits, NUL, space; computed with the field itself as spaces.
        let sum = checksum(h)
        put(Array(octal(UInt64(sum), digits: 6).utf8) + [0, 0x20], into: &h, at: 148)
        return h
    }

    /// Parses and validates one header block (exactly `block` bytes).
    static func parse(_ h: [UInt8]) throws -> Header {
        guard h.count == block else { throw HeaderError(message: "short header") }
        let recorded = try number(h, at: 148, width: 8, field: "checksum")
        guard recorded == UInt64(checksum(h)) else { throw HeaderError(message: "header checksum mismatch") }
        guard h[257..<263].elementsEqual("ustar\0".utf8), h[263..<265].elementsEqual("00".utf8) else {
            throw HeaderError(message: "not a POSIX ustar header")
        }
        guard h[156] == UInt8(ascii: "0") || h[156] == 0 else {
            throw HeaderError(message: "type '\(Character(Unicode.Scalar(h[156])))' is not a regular file")
        }
        let size = try number(h, at: 124, width: 12, field: "size")
        guard size <= UInt64(Int.max / 2) else { throw HeaderError(message: "size \(size) is impossible") }
        let prefix = text(h, at: 345, width: 155), base = text(h, at: 0, width: 100)
        return Header(name: prefix.isEmpty ? base : prefix + "/" + base, size: Int(size))
    }

    /// Whether the first bytes of a file could be the start of our first header: its name
    /// field begins "manifest.json\0", or it carries the ustar magic.
    static func looksLikeBundleStart(_ bytes: [UInt8]) -> Bool {
        let name = Array(FormatV1.manifest.utf8) + [0]
        let nameOK = zip(bytes.prefix(name.count), name).allSatisfy { $0 == $1 }
        let magicOK = bytes.count >= 263 && bytes[257..<263].elementsEqual("ustar\0".utf8)
        return nameOK || magicOK
    }

    private static func checksum(_ h: [UInt8]) -> Int {
        var sum = 0
        for (i, byte) in h.enumerated() { sum += (148..<156).contains(i) ? 0x20 : Int(byte) }
        return sum
    }

    private static func text(_ h: [UInt8], at offset: Int, width: Int) -> String {
        let field = h[offset..<offset + width]
        return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    private static func put(_ bytes: [UInt8], into h: inout [UInt8], at offset: Int) {
        h.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }

    private static func octal(_ value: UInt64, digits: Int) -> String {
        let s = String(value, radix: 8)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }

    /// Octal digits + NUL when they fit, else base-256: 0x80 then the value big-endian.
    private static func putNumber(_ value: UInt64, into h: inout [UInt8], at offset: Int, width: Int) {
        let digits = width - 1
        if value >> UInt64(3 * digits) == 0 {
            put(Array(octal(value, digits: digits).utf8) + [0], into: &h, at: offset)
            return
        }
        var bytes = [UInt8](repeating: 0, count: width)
        bytes[0] = 0x80
        for i in 0..<min(8, width - 1) { bytes[width - 1 - i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
        put(bytes, into: &h, at: offset)
    }

    /// Strict numeric field: optional leading spaces, octal digits, then only NULs/spaces;
    /// or base-256 (non-negative, fitting 64 bits).
    private static func number(_ h: [UInt8], at offset: Int, width: Int, field: String) throws -> UInt64 {
        let bytes = Array(h[offset..<offset + width])
        let bad = HeaderError(message: "invalid \(field) field")
        if bytes[0] == 0x80 {
            let payload = bytes.dropFirst()
            guard payload.dropLast(8).allSatisfy({ $0 == 0 }) else { throw bad }
            return payload.suffix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        let body = bytes.drop { $0 == 0x20 }
        let digits = body.prefix { (0x30...0x37).contains($0) }
        guard !digits.isEmpty, body.dropFirst(digits.count).allSatisfy({ $0 == 0 || $0 == 0x20 }) else { throw bad }
        return digits.reduce(0) { $0 << 3 | UInt64($1 - 0x30) }
    }
}

/// The x86-64 Linux register file as gdb sees it through the served target.xml: the
/// general-purpose registers, segment registers and bases, `orig_rax`, and the 512-byte
/// FXSAVE image holding the x87 and SSE state.
public struct AMD64Registers: Equatable, Sendable {
    public var rax: UInt64 = 0, rbx: UInt64 = 0, rcx: UInt64 = 0, rdx: UInt64 = 0
    public var rsi: UInt64 = 0, rdi: UInt64 = 0, rbp: UInt64 = 0, rsp: UInt64 = 0
    public var r8: UInt64 = 0, r9: UInt64 = 0, r10: UInt64 = 0, r11: UInt64 = 0
    public var r12: UInt64 = 0, r13: UInt64 = 0, r14: UInt64 = 0, r15: UInt64 = 0
    public var rip: UInt64 = 0, eflags: UInt64 = 0
    public var cs: UInt64 = 0, ss: UInt64 = 0, ds: UInt64 = 0, es: UInt64 = 0, fs: UInt64 = 0, gs: UInt64 = 0
    public var fsBase: UInt64 = 0, gsBase: UInt64 = 0
    /// The syscall number at a syscall stop (-1 otherwise); gdb uses it to restart syscalls.
    public var origRax: UInt64 = 0
    /// The FXSAVE layout (Intel SDM vol. 1, 10.5.1): also the first 512 bytes of an XSAVE area.
    public var fxsave: [UInt8] = AMD64Registers.defaultFXSAVE

    /// An FXSAVE image as after FNINIT/reset: control word 0x37f, MXCSR 0x1f80, registers empty.
    public static let defaultFXSAVE: [UInt8] = {
        var b = [UInt8](repeating: 0, count: 512)
        b[0] = 0x7f; b[1] = 0x03
        b[24] = 0x80; b[25] = 0x1f
        return b
    }()

    public init() {}

    /// The 16 general-purpose registers in gdb's order (rax rbx rcx rdx rsi rdi rbp rsp r8..r15).
    public var generalPurpose: [UInt64] {
        get { [rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, r8, r9, r10, r11, r12, r13, r14, r15] }
        set {
            guard newValue.count == 16 else { return }
            (rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp) = (newValue[0], newValue[1], newValue[2], newValue[3],
                                                        newValue[4], newValue[5], newValue[6], newValue[7])
            (r8, r9, r10, r11, r12, r13, r14, r15) = (newValue[8], newValue[9], newValue[10], newValue[11],
                                                      newValue[12], newValue[13], newValue[14], newValue[15])
        }
    }

    /// The six segment selectors in gdb's order (cs ss ds es fs gs).
    public var segments: [UInt64] {
        get { [cs, ss, ds, es, fs, gs] }
        set {
            guard newValue.count == 6 else { return }
            (cs, ss, ds, es, fs, gs) = (newValue[0], newValue[1], newValue[2], newValue[3], newValue[4], newValue[5])
        }
    }
}

/// gdb register numbers for the served target description (core, sse, linux, segments).
public enum AMD64RegisterNumber {
    public static let rbp = 6, rsp = 7, rip = 16, eflags = 17
    public static let st0 = 24, fctrl = 32, fstat = 33, ftag = 34, fiseg = 35, fioff = 36
    public static let foseg = 37, fooff = 38, fop = 39, xmm0 = 40, mxcsr = 56
    public static let origRax = 57, fsBase = 58, gsBase = 59
    /// One past the last register.
    public static let count = 60
}

/// Converts between `AMD64Registers` and gdb's byte images of single registers (`p`/`P`)
/// and of the whole file (`g`/`G`), in register-number order, little-endian.
public enum AMD64RegisterLayout {
    /// The size in bytes of register `n`, nil when there is no such register.
    public static func size(of n: Int) -> Int? {
        typealias R = AMD64RegisterNumber
        switch n {
        case 0...R.rip: return 8
        case R.eflags...23: return 4
        case R.st0..<R.fctrl: return 10
        case R.fctrl...R.fop: return 4
        case R.xmm0..<R.mxcsr: return 16
        case R.mxcsr: return 4
        case R.origRax...R.gsBase: return 8
        default: return nil
        }
    }

    /// Total size of a `g` reply.
    public static let totalSize = (0..<AMD64RegisterNumber.count).reduce(0) { $0 + (size(of: $1) ?? 0) }

    /// The bytes of register `n`; nil when there is no such register.
    public static func bytes(of n: Int, in r: AMD64Registers) -> [UInt8]? {
        typealias R = AMD64RegisterNumber
        guard let size = size(of: n) else { return nil }
        switch n {
        case 0..<16: return Hex.littleEndianBytes(r.generalPurpose[n], count: 8)
        case R.rip: return Hex.littleEndianBytes(r.rip, count: 8)
        case R.eflags: return Hex.littleEndianBytes(r.eflags, count: 4)
        case 18...23: return Hex.littleEndianBytes(r.segments[n - 18], count: 4)
        case R.ftag: return Hex.littleEndianBytes(UInt64(X87.fullTagWord(r.fxsave)), count: 4)
        case R.origRax: return Hex.littleEndianBytes(r.origRax, count: 8)
        case R.fsBase: return Hex.littleEndianBytes(r.fsBase, count: 8)
        case R.gsBase: return Hex.littleEndianBytes(r.gsBase, count: 8)
        default:
            guard let field = fxsaveField(n) else { return nil }
            // Control/status words are 16 bits in FXSAVE and 32 in gdb's description.
            var raw = Array(fxsave(r)[field.offset..<field.offset + field.width])
            raw += [UInt8](repeating: 0, count: size - raw.count)
            return masked(raw, n)
        }
    }

    /// Sets register `n` from its bytes; false when there is no such register or the size is wrong.
    @discardableResult
    public static func set(_ n: Int, to bytes: [UInt8], in r: inout AMD64Registers) -> Bool {
        typealias R = AMD64RegisterNumber
        guard let size = size(of: n), bytes.count == size else { return false }
        let value = Hex.fromLittleEndian(bytes)
        switch n {
        case 0..<16: r.generalPurpose[n] = value
        case R.rip: r.rip = value
        case R.eflags: r.eflags = value
        case 18...23: r.segments[n - 18] = value
        case R.ftag: setFXSAVE(&r, offset: 4, [X87.abridgedTag(UInt16(truncatingIfNeeded: value))])
        case R.origRax: r.origRax = value
        case R.fsBase: r.fsBase = value
        case R.gsBase: r.gsBase = value
        default:
            guard let field = fxsaveField(n) else { return false }
            setFXSAVE(&r, offset: field.offset, Array(bytes.prefix(field.width)))
        }
        return true
    }

    /// The whole file, as in a `g` reply.
    public static func encodeAll(_ r: AMD64Registers) -> [UInt8] {
        (0..<AMD64RegisterNumber.count).flatMap { bytes(of: $0, in: r) ?? [] }
    }

    /// Applies a `G` image: registers in order, as many as the image holds whole.
    public static func decodeAll(_ image: [UInt8], into r: inout AMD64Registers) {
        var offset = 0
        for n in 0..<AMD64RegisterNumber.count {
            guard let size = size(of: n), offset + size <= image.count else { return }
            set(n, to: Array(image[offset..<offset + size]), in: &r)
            offset += size
        }
    }

    /// Where an x87/SSE register lives in the FXSAVE image (gdb's fxsave_offset table).
    private static func fxsaveField(_ n: Int) -> (offset: Int, width: Int)? {
        typealias R = AMD64RegisterNumber
        switch n {
        case R.st0..<R.fctrl: return (32 + 16 * (n - R.st0), 10)
        case R.fctrl: return (0, 2)
        case R.fstat: return (2, 2)
        case R.fiseg: return (12, 2)
        case R.fioff: return (8, 4)
        case R.foseg: return (20, 2)
        case R.fooff: return (16, 4)
        case R.fop: return (6, 2)
        case R.xmm0..<R.mxcsr: return (160 + 16 * (n - R.xmm0), 16)
        case R.mxcsr: return (24, 4)
        default: return nil
        }
    }

    /// The opcode register holds 11 bits.
    private static func masked(_ bytes: [UInt8], _ n: Int) -> [UInt8] {
        guard n == AMD64RegisterNumber.fop, bytes.count >= 2 else { return bytes }
        var b = bytes
        b[1] &= 0x07
        return b
    }

    private static func fxsave(_ r: AMD64Registers) -> [UInt8] {
        r.fxsave.count >= 512 ? r.fxsave : r.fxsave + [UInt8](repeating: 0, count: 512 - r.fxsave.count)
    }

    private static func setFXSAVE(_ r: inout AMD64Registers, offset: Int, _ bytes: [UInt8]) {
        if r.fxsave.count < 512 { r.fxsave = fxsave(r) }
        r.fxsave.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }
}

/// The x87 tag word: FXSAVE keeps one "not empty" bit per register; gdb shows the full
/// two-bit tags, recomputed from the register contents as the FSAVE format would hold them.
enum X87 {
    /// The FSAVE-style tag word from an FXSAVE image.
    static func fullTagWord(_ fx: [UInt8]) -> UInt16 {
        guard fx.count >= 160 else { return 0xffff }
        let abridged = fx[4]
        let top = Int((fx[3] >> 3) & 7)
        var tags: UInt16 = 0
        for physical in 0..<8 {
            var tag: UInt16 = 3  // empty
            if abridged & (1 << physical) != 0 {
                let stack = (physical + 8 - top) % 8
                tag = classify(Array(fx[(32 + 16 * stack)..<(42 + 16 * stack)]))
            }
            tags |= tag << (2 * UInt16(physical))
        }
        return tags
    }

    /// The abridged (one bit per register) form of a full tag word.
    static func abridgedTag(_ full: UInt16) -> UInt8 {
        var b: UInt8 = 0
        for physical in 0..<8 where (full >> (2 * UInt16(physical))) & 3 != 3 { b |= 1 << physical }
        return b
    }

    /// 0 valid, 1 zero, 2 special (NaN, infinity, denormal, unnormal).
    private static func classify(_ raw: [UInt8]) -> UInt16 {
        let exponent = (UInt16(raw[9] & 0x7f) << 8) | UInt16(raw[8])
        let integerBit = raw[7] & 0x80 != 0
        let fractionZero = raw[0..<7].allSatisfy { $0 == 0 } && raw[7] & 0x7f == 0
        if exponent == 0x7fff { return 2 }
        if exponent == 0 { return fractionZero && !integerBit ? 1 : 2 }
        return integerBit ? 0 : 2
    }
}

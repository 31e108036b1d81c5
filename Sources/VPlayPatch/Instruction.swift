import CZydis

/// One decoded x86-64 instruction, as much of it as relocating it needs.
public struct Instruction: Equatable, Sendable {
    /// How control leaves the instruction.
    public enum Flow: Equatable, Sendable {
        /// On to the next instruction.
        case next
        /// A direct jump (`conditional`: may also fall through) to a known address.
        case jump(target: UInt64, conditional: Bool)
        /// A direct call of a known address.
        case call(target: UInt64)
        /// Somewhere only the running program knows: ret, an indirect jump or call.
        case indirect(returns: Bool)
        /// Never on: ud2, hlt, int3.
        case stop
        /// Into the kernel: syscall, sysenter, int n.
        case kernel
    }

    public var address: UInt64
    public var bytes: [UInt8]
    public var flow: Flow
    /// The offset of a rip-relative memory operand's 32-bit displacement in `bytes`.
    public var ripDisplacementOffset: Int?
    /// A relative jump or call whose encoding is not plain (prefixes, loop/jrcxz): not relocatable.
    public var irregularBranch: Bool
    /// `endbr64`: the mark of an indirect branch target.
    public var isBranchTargetMark: Bool
    /// rdtsc/rdtscp: replay traps these, and the trap must name the program's own pc.
    public var readsTimestamp: Bool
    /// `rep movs`/`rep stos` (64-bit addresses): interrupts land between its iterations.
    public var repeatedString: RepeatedString? = nil

    public var length: Int { bytes.count }
    public var end: UInt64 { address &+ UInt64(bytes.count) }
    /// Whether the instruction after this one is reached only by a jump (if at all).
    public var endsFallthrough: Bool {
        switch flow {
        case .jump(_, let conditional): return !conditional
        case .indirect(let returns): return !returns
        case .stop: return true
        case .next, .call, .kernel: return false
        }
    }
}

/// Decodes x86-64 machine code (64-bit mode) with Zydis.
public struct InstructionDecoder: Sendable {
    private var decoder = ZydisDecoder()

    public init() {
        // Init only fails for an invalid mode, and these are constants.
        _ = ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64)
    }

    /// The instruction at the start of `bytes`, which lie at `address`; nil when they do not begin
    /// with a valid instruction.
    public func decode(_ bytes: ArraySlice<UInt8>, at address: UInt64) -> Instruction? {
        var raw = ZydisDecodedInstruction()
        let status = withUnsafePointer(to: decoder) { decoder in
            bytes.withUnsafeBytes { buffer in
                ZydisDecoderDecodeInstruction(decoder, nil, buffer.baseAddress, buffer.count, &raw)
            }
        }
        // ZYAN_SUCCESS: the error bit clear.
        guard status & 0x8000_0000 == 0, raw.length > 0, Int(raw.length) <= bytes.count else { return nil }
        let length = Int(raw.length)
        let own = Array(bytes.prefix(length))
        var instruction = Instruction(address: address, bytes: own, flow: .next, ripDisplacementOffset: nil,
                                      irregularBranch: false, isBranchTargetMark: raw.mnemonic == ZYDIS_MNEMONIC_ENDBR64,
                                      readsTimestamp: raw.mnemonic == ZYDIS_MNEMONIC_RDTSC || raw.mnemonic == ZYDIS_MNEMONIC_RDTSCP)
        instruction.repeatedString = Self.repeatedString(raw)
        let hasModRM = raw.attributes & UInt64(ZYDIS_ATTRIB_HAS_MODRM) != 0
        if hasModRM, raw.raw.modrm.mod == 0, raw.raw.modrm.rm == 5, raw.raw.disp.size == 32 {
            instruction.ripDisplacementOffset = Int(raw.raw.disp.offset)
        }
        let relative = raw.raw.imm.0.is_relative != 0
        let target = relative ? address &+ UInt64(length) &+ UInt64(bitPattern: raw.raw.imm.0.value.s) : nil
        switch raw.meta.category {
        case ZYDIS_CATEGORY_COND_BR:
            instruction.flow = target.map { .jump(target: $0, conditional: true) } ?? .indirect(returns: true)
            instruction.irregularBranch = !Self.isPlainConditionalJump(own)
        case ZYDIS_CATEGORY_UNCOND_BR:
            instruction.flow = target.map { .jump(target: $0, conditional: false) } ?? .indirect(returns: false)
            instruction.irregularBranch = target != nil && own[0] != 0xEB && own[0] != 0xE9
        case ZYDIS_CATEGORY_CALL:
            instruction.flow = target.map { .call(target: $0) } ?? .indirect(returns: true)
        case ZYDIS_CATEGORY_RET:
            instruction.flow = .indirect(returns: false)
        case ZYDIS_CATEGORY_SYSCALL, ZYDIS_CATEGORY_INTERRUPT:
            instruction.flow = raw.mnemonic == ZYDIS_MNEMONIC_INT3 ? .stop : .kernel
        default:
            if raw.mnemonic == ZYDIS_MNEMONIC_UD2 || raw.mnemonic == ZYDIS_MNEMONIC_HLT { instruction.flow = .stop }
            if raw.mnemonic == ZYDIS_MNEMONIC_SYSENTER { instruction.flow = .kernel }
        }
        return instruction
    }

    /// movs (A4/A5) or stos (AA/AB) of the one-byte map under a `rep` (F3) prefix, with 64-bit
    /// addresses (rcx, rsi, rdi count, not their low halves).
    static func repeatedString(_ raw: ZydisDecodedInstruction) -> RepeatedString? {
        guard raw.attributes & UInt64(ZYDIS_ATTRIB_HAS_REP) != 0, raw.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT,
              raw.address_width == 64, [8, 16, 32, 64].contains(raw.operand_width) else { return nil }
        let size = UInt64(raw.operand_width / 8)
        switch raw.opcode {
        case 0xA4, 0xA5: return RepeatedString(operation: .move, elementSize: size)
        case 0xAA, 0xAB: return RepeatedString(operation: .store, elementSize: size)
        default: return nil
        }
    }

    /// jcc rel8 (70-7F) or jcc rel32 (0F 80-8F), without prefixes: the forms relocation rewrites.
    static func isPlainConditionalJump(_ bytes: [UInt8]) -> Bool {
        if bytes.count == 2, (0x70...0x7F).contains(bytes[0]) { return true }
        return bytes.count == 6 && bytes[0] == 0x0F && (0x80...0x8F).contains(bytes[1])
    }

    /// Decodes `bytes` (at `address`) from their start, one instruction after another, up to the
    /// end or the first byte that begins no valid instruction.
    public func sweep(_ bytes: [UInt8], at address: UInt64) -> [Instruction] {
        var out: [Instruction] = []
        var offset = 0
        while offset < bytes.count, let i = decode(bytes[offset...], at: address &+ UInt64(offset)) {
            out.append(i)
            offset += i.length
        }
        return out
    }
}

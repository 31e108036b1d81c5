import VPlayABI

/// Code on a page of vplay's in the replayed process that stops a thread at one point of
/// execution at native speed: a 5-byte jump (at the point's pc or just before it, see
/// `PatchSite`) enters it on every pass; it runs the moved instructions that lead to the point,
/// compares the general-purpose registers with the recorded ones and traps (`int3`) only when
/// all match. Then it runs the moved instructions from the point and jumps back.
///
/// It touches no memory of the program: it saves rsp and switches to a stack on its own page
/// before `pushfq`, so neither the red zone nor anything a memory fingerprint covers changes.
///
/// Page layout: [0x00] the saved rsp, [0x80..0x100) the stub's stack, [0x100..) the recorded
/// registers, [0x200..) code.
public struct FilterStub: Equatable, Sendable {
    public static let pageSize = 0x1000
    static let savedRSPOffset: UInt64 = 0x00
    static let stackTopOffset: UInt64 = 0x100
    static let registersOffset: UInt64 = 0x100
    static let codeOffset: UInt64 = 0x200

    /// The page's address in the replayed process.
    public let page: UInt64
    public let site: PatchSite
    /// The page's contents.
    public let bytes: [UInt8]
    /// What replaces the site's bytes from `site.start`: the jump, then int3 over what is left
    /// (a stray entry traps).
    public let patch: [UInt8]
    /// The pc after the trap (the thread matched by registers). One that does not match by
    /// memory as well just resumes there: the stub goes on as on a miss.
    public let trapReturn: UInt64

    public var savedRSPAddress: UInt64 { page + Self.savedRSPOffset }
    /// Where `pushfq` put the program's flags.
    public var savedFlagsAddress: UInt64 { page + Self.stackTopOffset - 8 }

    /// The 15 registers compared directly, by encoding number, in slot order; rsp (4) is
    /// compared last, through its saved copy.
    static let compared: [UInt8] = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]

    /// The recorded values in slot order: the `compared` registers, then rsp.
    static func slots(_ r: Registers) -> [UInt64] {
        [r.rax, r.rcx, r.rdx, r.rbx, r.rbp, r.rsi, r.rdi, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rsp]
    }

    /// `ignoring`: encodings of registers left out of the compare (those a `rep movs` at the
    /// point changes between iterations: the caller finishes that match itself).
    public init(page: UInt64, site: PatchSite, registers: Registers, ignoring: Set<UInt8> = []) throws(PatchRefusal) {
        self.page = page
        self.site = site
        var code = Assembler(at: page + Self.codeOffset)
        for i in site.before { try code.relocate(i) }
        code.movToMemory(rsp: page + Self.savedRSPOffset)
        code.leaRSP(page + Self.stackTopOffset)
        code.emit([0x9C])  // pushfq
        var misses: [Int] = []
        for (i, register) in Self.compared.enumerated() where !ignoring.contains(register) {
            code.compare(register: register, with: page + Self.registersOffset + UInt64(8 * i))
            misses.append(code.jumpIfNotEqual())
        }
        code.emit([0x50])  // push rax
        code.load(rax: page + Self.savedRSPOffset)
        code.compare(register: 0, with: page + Self.registersOffset + UInt64(8 * Self.compared.count))
        code.emit([0x58])  // pop rax (flags stay those of the compare)
        misses.append(code.jumpIfNotEqual())
        code.emit([0xCC])  // int3: matched
        trapReturn = code.address
        for m in misses { code.patchJump(at: m, to: trapReturn) }
        code.emit([0x9D])  // popfq
        code.load(rsp: page + Self.savedRSPOffset)
        for i in site.after { try code.relocate(i) }
        code.jump(to: site.resume)
        var page = [UInt8](repeating: 0xCC, count: Self.pageSize)
        guard Int(Self.codeOffset) + code.bytes.count <= Self.pageSize else { throw PatchRefusal("the stub does not fit its page") }
        page.replaceSubrange(Int(Self.codeOffset)..<Int(Self.codeOffset) + code.bytes.count, with: code.bytes)
        for (i, v) in Self.slots(registers).enumerated() {
            withUnsafeBytes(of: v.littleEndian) { page.replaceSubrange(Int(Self.registersOffset) + 8 * i..<Int(Self.registersOffset) + 8 * i + 8, with: $0) }
        }
        bytes = page
        var jump = Assembler(at: site.start)
        jump.jump(to: self.page + Self.codeOffset)
        patch = jump.bytes + [UInt8](repeating: 0xCC, count: site.patchLength - PatchSite.jumpLength)
    }

    /// The thread's real registers at the trap: back at the point's pc, with its own rsp and flags.
    public func registersAtPoint(trapped: Registers, savedRSP: UInt64, savedFlags: UInt64) -> Registers {
        var r = trapped
        (r.rip, r.rsp, r.eflags) = (site.pc, savedRSP, savedFlags)
        return r
    }

    /// Whether stubs at `page` can reach `pc` and be reached from it (rel32 both ways).
    public static func reaches(_ page: UInt64, _ pc: UInt64) -> Bool {
        let distance = Int64(bitPattern: page &- pc)
        return abs(distance) < (1 << 31) - (1 << 20)
    }
}

/// x86-64 encodings the stub needs, each with rip-relative operands computed for `address`.
struct Assembler {
    private(set) var bytes: [UInt8] = []
    let start: UInt64
    init(at start: UInt64) { self.start = start }
    var address: UInt64 { start &+ UInt64(bytes.count) }

    mutating func emit(_ b: [UInt8]) { bytes += b }

    mutating func emit32(_ value: Int32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

    /// disp32 of an operand at `target`, for an instruction ending `after` bytes past here.
    func displacement(to target: UInt64, endingAfter length: Int) -> Int32? {
        let delta = Int64(bitPattern: target &- (address &+ UInt64(length)))
        return Int32(exactly: delta)
    }

    /// `REX.W(+R) opcode [rip+disp32]` with `register` in ModRM.reg.
    mutating func ripOperand(_ opcode: UInt8, register: UInt8, target: UInt64) {
        let rex: UInt8 = 0x48 | (register >= 8 ? 0x04 : 0)
        let disp = displacement(to: target, endingAfter: 7) ?? 0  // the stub's own page: always near
        emit([rex, opcode, 0x05 | ((register & 7) << 3)])
        emit32(disp)
    }

    mutating func movToMemory(rsp target: UInt64) { ripOperand(0x89, register: 4, target: target) }
    mutating func leaRSP(_ target: UInt64) { ripOperand(0x8D, register: 4, target: target) }
    mutating func load(rsp target: UInt64) { ripOperand(0x8B, register: 4, target: target) }
    mutating func load(rax target: UInt64) { ripOperand(0x8B, register: 0, target: target) }
    mutating func compare(register: UInt8, with target: UInt64) { ripOperand(0x3B, register: register, target: target) }

    /// `jne rel32` with a placeholder; returns its position for `patchJump`.
    mutating func jumpIfNotEqual() -> Int {
        emit([0x0F, 0x85])
        emit32(0)
        return bytes.count - 6
    }

    mutating func patchJump(at position: Int, to target: UInt64) {
        let end = start &+ UInt64(position + 6)
        let disp = Int32(truncatingIfNeeded: Int64(bitPattern: target &- end))
        withUnsafeBytes(of: disp.littleEndian) { bytes.replaceSubrange(position + 2..<position + 6, with: $0) }
    }

    /// `jmp rel32`; the caller placed both ends within reach.
    mutating func jump(to target: UInt64) {
        let disp = displacement(to: target, endingAfter: 5) ?? 0
        emit([0xE9])
        emit32(disp)
    }

    /// Copies `i` here so that it does what it did at its own address.
    mutating func relocate(_ i: Instruction) throws(PatchRefusal) {
        switch i.flow {
        case .jump(let target, let conditional):
            let condition = i.bytes[0] == 0x0F ? i.bytes[1] & 0x0F : i.bytes[0] & 0x0F
            let length = conditional ? 6 : 5
            guard let disp = displacement(to: target, endingAfter: length) else {
                throw PatchRefusal("the branch at 0x\(String(i.address, radix: 16)) cannot reach its target from the stub")
            }
            emit(conditional ? [0x0F, 0x80 | condition] : [0xE9])
            emit32(disp)
        default:
            var copy = i.bytes
            if let at = i.ripDisplacementOffset {
                let old = copy[at..<at + 4].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
                let target = i.end &+ UInt64(bitPattern: Int64(old))
                guard let disp = displacement(to: target, endingAfter: i.length) else {
                    throw PatchRefusal("the operand of 0x\(String(i.address, radix: 16)) is out of the stub's reach")
                }
                withUnsafeBytes(of: disp.littleEndian) { copy.replaceSubrange(at..<at + 4, with: $0) }
            }
            emit(copy)
        }
    }
}

import Testing
import VPlayABI
import VPlayPatch

/// inc rax; cmp rax, 10; jne <first>; ret — at 0x1000.
let loop: [UInt8] = [0x48, 0xFF, 0xC0, 0x48, 0x83, 0xF8, 0x0A, 0x75, 0xF7, 0xC3]

@Suite("Patch sites and filter stubs")
struct FilterStubTests {
    let decoder = InstructionDecoder()

    func site(_ code: [UInt8], pc: UInt64) throws(PatchRefusal) -> PatchSite {
        try PatchSite(pc: pc, function: decoder.sweep(code, at: 0x1000))
    }

    @Test("a jump at the point covers as many instructions as its 5 bytes need")
    func coverage() throws {
        let s = try site(loop, pc: 0x1000)
        #expect(s.start == 0x1000 && s.before.isEmpty)
        #expect(s.after.map(\.address) == [0x1000, 0x1003])
        #expect(s.patchLength == 7 && s.resume == 0x1007)
        #expect(s.interior == 0x1001..<0x1007)
        #expect(try site(loop, pc: 0x1003).after.map(\.address) == [0x1003, 0x1007])
    }

    @Test("where the point's own bytes cannot be covered, the jump goes on the straight-line code before it")
    func beforeThePoint() throws {
        // jne; ret at 0x1007: too few bytes from the point, so from 0x1000 (inc, cmp) to it.
        let s = try site(loop, pc: 0x1007)
        #expect(s.start == 0x1000 && s.after.isEmpty)
        #expect(s.before.map(\.address) == [0x1000, 0x1003])
        #expect(s.patchLength == 7 && s.resume == 0x1007)
        #expect(s.interior == 0x1001..<0x1007)
        // A branch target right after a short point: the jump goes on the load before it.
        let code: [UInt8] = [0x48, 0x8B, 0x05, 0x00, 0x01, 0x00, 0x00,  // 0x1000 mov rax, [rip+0x100]
                             0x48, 0x85, 0xC0,                          // 0x1007 test rax, rax   <- point
                             0x74, 0xF4,                                // 0x100a je 0x1000
                             0xEB, 0xFC]                                // 0x100c jmp 0x100a
        let load = try site(code, pc: 0x1007)
        #expect(load.start == 0x1000 && load.before.map(\.address) == [0x1000] && load.after.isEmpty)
        #expect(load.patchLength == 7 && load.interior == 0x1001..<0x1007)
        let stub = try FilterStub(page: 0x2000_0000, site: load, registers: Registers())
        let moved = decoder.sweep(Array(stub.bytes[0x200...]), at: 0x2000_0200)
        #expect(moved.first?.bytes.prefix(3) == [0x48, 0x8B, 0x05], "the stub runs the load first")
        #expect(moved.last(where: { $0.flow != .stop })?.flow == .jump(target: 0x1007, conditional: false), "and returns to the point")
    }

    @Test("places threads may come back to inside the covered bytes are handed out to be watched, up to a limit")
    func resumesInside() throws {
        // A signal interrupted a thread at 0x1003 (the cmp): a handler may `ret` there.
        let watched = try PatchSite(pc: 0x1000, function: decoder.sweep(loop, at: 0x1000), resumes: [0x1003, 0x2000], guardable: 3)
        #expect(watched.start == 0x1000 && watched.guarded == [0x1003])
        #expect(throws: PatchRefusal.self, "nothing can watch it") {
            try PatchSite(pc: 0x1000, function: decoder.sweep(loop, at: 0x1000), resumes: [0x1003], guardable: 0)
        }
        #expect(throws: PatchRefusal.self, "inside an instruction") {
            try PatchSite(pc: 0x1000, function: decoder.sweep(loop, at: 0x1000), resumes: [0x1004], guardable: 3)
        }
        #expect(try PatchSite(pc: 0x1000, function: decoder.sweep(loop, at: 0x1000), resumes: [0x1000]).guarded.isEmpty,
                "the point itself passes through the jump")
    }

    @Test("covered bytes that a branch targets, or that call or trap, refuse the patch")
    func refusals() {
        var intoMiddle = loop
        intoMiddle[8] = 0xFA  // jne 0x1003: the second covered instruction is a target
        #expect(throws: PatchRefusal.self) { try site(intoMiddle, pc: 0x1000) }
        // A point that is itself a branch target and too short to cover: nothing leads only to it.
        let short: [UInt8] = [0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xEB, 0xFE]  // nops; jmp . (to 0x1006)
        #expect(throws: PatchRefusal.self) { try site(short, pc: 0x1006) }
        let call: [UInt8] = [0x90, 0xE8, 0x00, 0x00, 0x00, 0x00, 0xC3]  // nop; call; ret
        #expect(throws: PatchRefusal.self) { try site(call, pc: 0x1000) }
        let syscall: [UInt8] = [0x90, 0x0F, 0x05, 0x90, 0x90, 0x90, 0xC3]
        #expect(throws: PatchRefusal.self) { try site(syscall, pc: 0x1000) }
        #expect(throws: PatchRefusal.self) { try site(loop, pc: 0x1001) }  // not an instruction boundary
    }

    @Test("the stub compares every register, traps on a match, then runs the moved instructions and jumps back")
    func stubCode() throws {
        let s = try site(loop, pc: 0x1003)  // cmp rax, 10; jne 0x1000
        var regs = Registers()
        (regs.rip, regs.rax, regs.rsp, regs.r15) = (0x1003, 7, 0x7ffd_0000_1000, 0x1515)
        let page: UInt64 = 0x2000_0000
        let stub = try FilterStub(page: page, site: s, registers: regs)
        #expect(stub.patch.count == s.patchLength)
        let jump = try #require(decoder.decode(stub.patch[...], at: 0x1003))
        #expect(jump.flow == .jump(target: page + 0x200, conditional: false))
        #expect(stub.patch.dropFirst(5).allSatisfy { $0 == 0xCC }, "what the jump leaves is int3")

        let code = decoder.sweep(Array(stub.bytes[0x200...]), at: page + 0x200)
        let compares = code.filter { $0.bytes.count == 7 && $0.bytes[1] == 0x3B }
        #expect(compares.count == 16, "15 registers and rsp")
        let trap = try #require(code.firstIndex { $0.flow == .stop })
        #expect(code[trap].end == stub.trapReturn)
        let misses = code.compactMap { i -> UInt64? in
            if case .jump(let target, true) = i.flow { return target } else { return nil }
        }
        #expect(misses.dropLast().allSatisfy { $0 == stub.trapReturn }, "every mismatch goes on after the trap")
        // After the trap: popfq, restore rsp, the moved cmp, the moved jne (rel32, to 0x1000), back to 0x1009.
        let tail = Array(code[(trap + 1)...].prefix(5))
        #expect(tail[0].bytes == [0x9D])
        #expect(tail[2].bytes == [0x48, 0x83, 0xF8, 0x0A])
        #expect(tail[3].flow == .jump(target: 0x1000, conditional: true))
        #expect(tail[4].flow == .jump(target: 0x1009, conditional: false))

        // The recorded values sit in the slots the compares read.
        let slot = { (i: Int) in stub.bytes[0x100 + 8 * i..<0x108 + 8 * i].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) } }
        #expect(slot(0) == 7)
        #expect(slot(14) == 0x1515)
        #expect(slot(15) == 0x7ffd_0000_1000)
        var trapped = regs
        (trapped.rip, trapped.rsp) = (stub.trapReturn, page + 0xF8)
        let back = stub.registersAtPoint(trapped: trapped, savedRSP: regs.rsp, savedFlags: 0x246)
        #expect(back.rip == 0x1003 && back.rsp == regs.rsp && back.eflags == 0x246)
    }

    @Test("a rep movs may open the covered bytes but never lie inside them, where a thread could stand part-way through it")
    func stringInstructionsInside() throws {
        // add rsi, rax; rep movsb; add rdi, rax; ret
        let code: [UInt8] = [0x48, 0x01, 0xC6, 0xF3, 0xA4, 0x48, 0x01, 0xC7, 0xC3]
        #expect(throws: PatchRefusal.self) { try site(code, pc: 0x1000) }  // covers add + rep movsb
        let atString = try site(code, pc: 0x1003)
        #expect(atString.start == 0x1003 && atString.after.first?.repeatedString != nil)
        #expect(throws: PatchRefusal.self) { try site(code, pc: 0x1008) }  // before it: add, rep movsb, add
    }

    @Test("a stub for a point inside a string instruction leaves the registers its iterations change out of the compare")
    func stringPointStub() throws {
        let s = try site(loop, pc: 0x1003)
        var regs = Registers()
        regs.rip = 0x1003
        let stub = try FilterStub(page: 0x2000_0000, site: s, registers: regs,
                                  ignoring: RepeatedString(operation: .move, elementSize: 1).changedRegisters)
        let code = decoder.sweep(Array(stub.bytes[0x200...]), at: 0x2000_0200)
        let compared = code.filter { $0.bytes.count == 7 && $0.bytes[1] == 0x3B }.map { ($0.bytes[0] & 0x04) << 1 | ($0.bytes[2] >> 3) & 7 }
        #expect(compared.count == 13, "16 less rcx, rsi and rdi")
        #expect(!compared.contains(1) && !compared.contains(6) && !compared.contains(7))
    }

    @Test("a moved rip-relative operand still names the same address")
    func ripRelativeMoves() throws {
        let code: [UInt8] = [0x48, 0x8B, 0x05, 0x00, 0x01, 0x00, 0x00, 0xC3]  // mov rax, [rip+0x100] -> 0x1107
        let s = try site(code, pc: 0x1000)
        let page: UInt64 = 0x3000_0000
        let stub = try FilterStub(page: page, site: s, registers: Registers())
        let moved = try #require(decoder.sweep(Array(stub.bytes[0x200...]), at: page + 0x200).first { $0.bytes[0] == 0x48 && $0.bytes[1] == 0x8B && $0.bytes[2] == 0x05 && $0.address > stub.trapReturn })
        let disp = moved.bytes[3..<7].withUnsafeBytes { $0.loadUnaligned(as: Int32.self) }
        #expect(moved.end &+ UInt64(bitPattern: Int64(disp)) == 0x1107)
        #expect(throws: PatchRefusal.self, "a page beyond rel32 reach") {
            try FilterStub(page: 0x7000_0000_0000, site: s, registers: Registers())
        }
    }
}

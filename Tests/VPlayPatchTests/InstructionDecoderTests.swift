import Testing
import VPlayPatch

@Suite("Instruction decoder")
struct InstructionDecoderTests {
    let decoder = InstructionDecoder()

    func decode(_ bytes: [UInt8], at address: UInt64 = 0x1000) throws -> Instruction {
        try #require(decoder.decode(bytes[...], at: address), "\(bytes) must decode")
    }

    @Test("a rip-relative load names where its displacement lies")
    func ripRelative() throws {
        let i = try decode([0x48, 0x8B, 0x05, 0x10, 0x00, 0x00, 0x00])  // mov rax, [rip+0x10]
        #expect(i.length == 7)
        #expect(i.ripDisplacementOffset == 3)
        #expect(i.flow == .next)
        let withImmediate = try decode([0x83, 0x3D, 0x10, 0x00, 0x00, 0x00, 0x05])  // cmp dword [rip+0x10], 5
        #expect(withImmediate.ripDisplacementOffset == 2)
        #expect(try decode([0x48, 0x8B, 0x45, 0x10]).ripDisplacementOffset == nil)  // mov rax, [rbp+0x10]
    }

    @Test("branches, calls and returns say where control goes")
    func flows() throws {
        #expect(try decode([0x75, 0xF0]).flow == .jump(target: 0x1002 - 16, conditional: true))
        #expect(try decode([0x0F, 0x84, 0x00, 0x01, 0x00, 0x00]).flow == .jump(target: 0x1106, conditional: true))
        #expect(try decode([0xEB, 0x10]).flow == .jump(target: 0x1012, conditional: false))
        #expect(try decode([0xE8, 0x00, 0x00, 0x00, 0x00]).flow == .call(target: 0x1005))
        #expect(try decode([0xFF, 0xD0]).flow == .indirect(returns: true))  // call rax
        let ret = try decode([0xC3])
        #expect(ret.flow == .indirect(returns: false))
        #expect(ret.endsFallthrough)
        #expect(try decode([0x0F, 0x05]).flow == .kernel)
        #expect(try decode([0xCC]).flow == .stop)
        #expect(try decode([0x0F, 0x0B]).flow == .stop)  // ud2
    }

    @Test("marks and forms relocation must know about")
    func marks() throws {
        #expect(try decode([0xF3, 0x0F, 0x1E, 0xFA]).isBranchTargetMark)  // endbr64
        #expect(try decode([0x0F, 0x31]).readsTimestamp)
        #expect(try decode([0xE3, 0x00]).irregularBranch)  // jrcxz
        #expect(try decode([0xE2, 0xFE]).irregularBranch)  // loop
        #expect(!(try decode([0x75, 0xF0]).irregularBranch))
    }

    @Test("a sweep decodes one instruction after another and stops at garbage")
    func sweep() {
        let code: [UInt8] = [0x48, 0xFF, 0xC0, 0x48, 0x83, 0xF8, 0x0A, 0x75, 0xF7, 0xC3, 0x06]  // ...; push es (invalid in 64-bit)
        let all = decoder.sweep(code, at: 0x1000)
        #expect(all.map(\.address) == [0x1000, 0x1003, 0x1007, 0x1009])
        #expect(decoder.decode([0x48][...], at: 0) == nil, "a lone prefix is no instruction")
    }
}

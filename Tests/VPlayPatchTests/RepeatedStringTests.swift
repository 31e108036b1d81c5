import Testing
import VPlayABI
import VPlayPatch

@Suite("rep movs / rep stos: points between two iterations")
struct RepeatedStringTests {
    let decoder = InstructionDecoder()

    func string(_ bytes: [UInt8]) -> RepeatedString? { decoder.decode(bytes[...], at: 0x1000)?.repeatedString }

    @Test("rep movs and rep stos of every width are string points; plain movs, SSE movsd, repe cmps and 32-bit addresses are not")
    func decoding() {
        #expect(string([0xF3, 0xA4]) == RepeatedString(operation: .move, elementSize: 1))        // rep movsb
        #expect(string([0xF3, 0x48, 0xA5]) == RepeatedString(operation: .move, elementSize: 8))  // rep movsq
        #expect(string([0xF3, 0xA5]) == RepeatedString(operation: .move, elementSize: 4))        // rep movsd
        #expect(string([0xF3, 0xAA]) == RepeatedString(operation: .store, elementSize: 1))       // rep stosb
        #expect(string([0xF3, 0x48, 0xAB]) == RepeatedString(operation: .store, elementSize: 8)) // rep stosq
        #expect(string([0xA4]) == nil)                                                           // movsb, one iteration
        #expect(string([0xF2, 0x0F, 0x10, 0xC1]) == nil)                                         // movsd xmm0, xmm1
        #expect(string([0xF3, 0xA6]) == nil)                                                     // repe cmpsb: stops on data
        #expect(string([0x67, 0xF3, 0xA4]) == nil)                                               // rep movsb with ecx/esi/edi
        #expect(RepeatedString(operation: .move, elementSize: 1).changedRegisters == [1, 6, 7])
        #expect(RepeatedString(operation: .store, elementSize: 8).changedRegisters == [1, 7])
    }

    func registers(rcx: UInt64, rsi: UInt64, rdi: UInt64, down: Bool = false) -> Registers {
        var r = Registers()
        (r.rip, r.rax, r.rsp, r.rcx, r.rsi, r.rdi) = (0x1000, 0x77, 0x7ffd_0000, rcx, rsi, rdi)
        r.eflags = down ? 0x646 : 0x246
        return r
    }

    @Test("the iterations from a pass's start to a point part-way through it follow from rcx, rsi and rdi")
    func iterations() {
        let movsq = RepeatedString(operation: .move, elementSize: 8)
        let start = registers(rcx: 1000, rsi: 0x10000, rdi: 0x20000)
        #expect(movsq.iterations(from: start, to: registers(rcx: 600, rsi: 0x10000 + 400 * 8, rdi: 0x20000 + 400 * 8)) == 400)
        // Under the direction flag the pointers go down.
        let back = registers(rcx: 1000, rsi: 0x10000, rdi: 0x20000, down: true)
        #expect(movsq.iterations(from: back, to: registers(rcx: 1, rsi: 0x10000 - 999 * 8, rdi: 0x20000 - 999 * 8, down: true)) == 999)
        // stos leaves rsi alone.
        let stosb = RepeatedString(operation: .store, elementSize: 1)
        #expect(stosb.iterations(from: start, to: registers(rcx: 10, rsi: 0x10000, rdi: 0x20000 + 990)) == 990)
        #expect(stosb.iterations(from: start, to: registers(rcx: 10, rsi: 0x10000 + 990, rdi: 0x20000 + 990)) == nil)
    }

    @Test("a point outside this execution is not reached in it: another buffer, other registers, the start itself, or the end")
    func notThisExecution() {
        let movsb = RepeatedString(operation: .move, elementSize: 1)
        let start = registers(rcx: 100, rsi: 0x10000, rdi: 0x20000)
        #expect(movsb.iterations(from: start, to: registers(rcx: 50, rsi: 0x10032, rdi: 0x30032)) == nil)  // another destination
        var other = registers(rcx: 50, rsi: 0x10032, rdi: 0x20032)
        other.rax = 1
        #expect(movsb.iterations(from: start, to: other) == nil)
        #expect(movsb.iterations(from: start, to: start) == nil)
        #expect(movsb.iterations(from: start, to: registers(rcx: 0, rsi: 0x10064, rdi: 0x20064)) == nil)
        // Earlier in the execution than where the thread is: behind it.
        #expect(movsb.iterations(from: registers(rcx: 40, rsi: 0x1003C, rdi: 0x2003C), to: registers(rcx: 50, rsi: 0x10032, rdi: 0x20032)) == nil)
    }
}

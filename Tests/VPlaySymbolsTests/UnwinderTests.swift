import CVPlay
import Foundation
import Glibc
import Testing
import VPlayTestSupport
import VPlayKernel
@testable import VPlaySymbols

/// A sparse fake memory of 8-byte words.
struct FakeMemory {
    var words: [UInt64: UInt64] = [:]
    var reader: MemoryReader {
        let words = self.words
        return { address, count in
            guard count == 8, let word = words[address] else { return nil }
            return (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * UInt64($0))) }
        }
    }
}

@Suite(.timeLimit(.minutes(1)))
struct SyntheticUnwindTests {
    @Test func theFramePointerChainIsFollowedToAZeroRBP() {
        var memory = FakeMemory()
        memory.words[0x7000] = 0x7100; memory.words[0x7008] = 0x40_1234
        memory.words[0x7100] = 0; memory.words[0x7108] = 0x40_1500
        let trace = Unwinder(objects: []).unwind(UnwindRegisters(rip: 0x40_1000, rsp: 0x6ff0, rbp: 0x7000), memory: memory.reader)
        #expect(trace.frames.map(\.pc) == [0x40_1000, 0x40_1234, 0x40_1500])
        #expect(trace.frames.map(\.method) == [.registers, .framePointer, .framePointer])
        #expect(trace.frames.map(\.lookupAddress) == [0x40_1000, 0x40_1233, 0x40_14ff])
        #expect(trace.frames[2].registers.rsp == 0x7110)
        #expect(trace.stop == .outermostFrame)
    }

    @Test func aSelfReferencingOrDescendingChainStops() {
        var memory = FakeMemory()
        memory.words[0x7000] = 0x7000; memory.words[0x7008] = 0x40_1234  // rbp points at itself
        let trace = Unwinder(objects: []).unwind(UnwindRegisters(rip: 0x40_1000, rsp: 0x6ff0, rbp: 0x7000), memory: memory.reader)
        #expect(trace.frames.count == 2)
        #expect(trace.stop == .noUnwindInformation(pc: 0x40_1234))
    }

    @Test func depthIsBoundedAndUnknownMemoryEndsTheWalk() {
        var memory = FakeMemory()
        for i in UInt64(0)..<1000 {
            memory.words[0x10000 + i * 0x20] = 0x10000 + (i + 1) * 0x20
            memory.words[0x10008 + i * 0x20] = 0x40_0000 + i
        }
        let regs = UnwindRegisters(rip: 0x40_1000, rsp: 0xff00, rbp: 0x10000)
        let deep = Unwinder(objects: [], maxDepth: 10).unwind(regs, memory: memory.reader)
        #expect(deep.frames.count == 10)
        #expect(deep.stop == .maxDepth(10))
        let all = Unwinder(objects: []).unwind(regs, memory: memory.reader)
        #expect(all.frames.count == 256)
        let short = Unwinder(objects: []).unwind(UnwindRegisters(rip: 0x40_1000, rsp: 0xff00, rbp: 0x90000), memory: memory.reader)
        #expect(short.stop == .unreadableMemory(address: 0x90000))
    }

    @Test func aReturnAddressOutsideEveryObjectEndsTheWalk() {
        let object = ObjectSymbols(path: "/bin/x", buildID: nil, symbols: [], loadAddress: 0x40_0000, loadOffset: 0, loadEnd: 0x40_2000)
        var memory = FakeMemory()
        memory.words[0x7000] = 0x7100; memory.words[0x7008] = 0x99_9999
        let trace = Unwinder(objects: [LoadedObject(symbols: object, bias: 0)])
            .unwind(UnwindRegisters(rip: 0x40_1000, rsp: 0x6ff0, rbp: 0x7000), memory: memory.reader)
        #expect(trace.frames.count == 1)
        #expect(trace.stop == .pcOutsideObjects(pc: 0x99_9999))
    }

    @Test func cfiRestoresTheCallerWithTheLoadBias() throws {
        // f at link-time 0x1000..0x1100: push rbx (CFA rsp+16, rbx at c-16); loaded at bias 0x10000.
        let eh = EhFrameBuilder.section(address: 0x2000, fdes: [
            .init(begin: 0x1000, size: 0x100, instructions: [0x41, 0x0e, 0x10, 0x83, 0x02]),
        ])
        let object = ObjectSymbols(path: "/bin/f", buildID: nil,
                                   symbols: [.init(start: 0x1000, size: 0x100, name: "f", kind: .function)],
                                   loadAddress: 0, loadOffset: 0, loadEnd: 0x3000, ehFrame: eh, ehFrameAddress: 0x2000)
        var memory = FakeMemory()
        memory.words[0x8000] = 0xbbbb  // saved rbx
        memory.words[0x8008] = 0x1_1050  // return address, inside f again (recursion)
        let unwinder = Unwinder(objects: [LoadedObject(symbols: object, bias: 0x10000)])
        #expect(unwinder.cfiProblems.isEmpty)
        let regs = UnwindRegisters(rip: 0x1_1020, rsp: 0x8000, rbx: 1)
        let trace = unwinder.unwind(regs, memory: memory.reader)
        #expect(trace.frames.count >= 2)
        let caller = trace.frames[1]
        #expect(caller.method == .cfi)
        #expect(caller.pc == 0x1_1050)
        #expect(caller.registers.rsp == 0x8010)
        #expect(caller.registers[dwarf: UnwindRegisters.rbx] == 0xbbbb)
        #expect(caller.registers[dwarf: UnwindRegisters.rax] == nil, "caller-saved registers are unknown")
        #expect(unwinder.symbolizer.symbolize(caller)?.description == "f+0x50 (/bin/f)")
        // The next step reads beyond the fake memory.
        #expect(trace.stop == .unreadableMemory(address: 0x8018))
    }

    @Test func randomRegistersAndMemoryAlwaysTerminate() throws {
        let libc = try ObjectSymbols(path: Prerequisite.libc, elf: try readFile(Prerequisite.libc))
        let unwinder = Unwinder(objects: [LoadedObject(symbols: libc, bias: 0x7f00_0000_0000)], maxDepth: 64)
        var rng = SplitMix64(seed: 7)
        let text = libc.symbols.filter { $0.kind == .function && $0.size > 0 }
        for _ in 0..<200 {
            var memory = FakeMemory()
            let sp = UInt64.random(in: 0x7ff0_0000...0x7ff1_0000, using: &rng) & ~7
            for i in UInt64(0)..<64 {
                let pick = text.randomElement(using: &rng)
                memory.words[sp + i * 8] = Bool.random(using: &rng) ? 0x7f00_0000_0000 + (pick?.start ?? 0) + 5 : rng.next()
            }
            let pc = 0x7f00_0000_0000 + (text.randomElement(using: &rng)?.start ?? 0) + UInt64.random(in: 0..<16, using: &rng)
            let trace = unwinder.unwind(UnwindRegisters(rip: pc, rsp: sp, rbp: sp + UInt64.random(in: 0..<64, using: &rng) * 8),
                                        memory: memory.reader)
            #expect(trace.frames.count <= 64)
        }
    }
}

/// Unwinding real stopped processes: main -> a -> b -> c -> raise(SIGSTOP).
@Suite(.serialized, .timeLimit(.minutes(2)), .needsPtrace, .needs("gcc"))
struct ProcessUnwindTests {
    struct Variant: CustomTestStringConvertible, Sendable {
        let name: String
        let flags: [String]
        /// How b, a and main are found: without unwind tables only the rbp chain can.
        let programMethod: UnwindMethod
        var testDescription: String { name }
    }

    static let variants = [
        Variant(name: "dynamic, frame pointers, no unwind tables",
                flags: ["-O0", "-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
                programMethod: .framePointer),
        Variant(name: "dynamic, -O2 -fomit-frame-pointer", flags: ["-O2", "-g", "-fomit-frame-pointer"], programMethod: .cfi),
        Variant(name: "static, -O2 -fomit-frame-pointer", flags: ["-O2", "-fomit-frame-pointer", "-static"], programMethod: .cfi),
        Variant(name: "static, frame pointers, no unwind tables",
                flags: ["-O0", "-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables", "-fno-unwind-tables", "-static"],
                programMethod: .framePointer),
    ]

    @Test(arguments: variants)
    func theCallChainUnwindsToCBAMain(_ variant: Variant) throws {
        try requirePtrace()
        let dir = try TempDirectory()
        defer { dir.remove() }
        let exe = try compileC(callChainSource, name: "chain", flags: variant.flags, in: dir)
        let (trace, symbolizer) = try withStoppedChild(exe) { pid in
            let memory = try ProcessMemory(pid: pid)
            let unwinder = Unwinder(objects: try ProcessObjects.loaded(pid: pid, memory: memory))
            #expect(unwinder.cfiProblems.isEmpty, "\(unwinder.cfiProblems)")
            let trace = unwinder.unwind(try ProcessObjects.registers(pid: pid), memory: ProcessObjects.reader(memory))
            return (trace, unwinder.symbolizer)
        }
        let names = trace.frames.map { symbolizer.symbolize($0)?.symbol ?? "?" }
        let described = zip(trace.frames, names).map { "\($1) [\($0.method.rawValue)]" }.joined(separator: " <- ")
        let c = try #require(names.firstIndex(of: "c"), "no frame for c: \(described)")
        #expect(Array(names[c...].prefix(4)) == ["c", "b", "a", "main"], "\(described)")
        // c is found from raise's frame (libc code, which has CFI); b, a and main from c, b, a.
        #expect(trace.frames[c].method == .cfi, "\(described)")
        #expect(trace.frames[(c + 1)...].prefix(3).map(\.method) == Array(repeating: variant.programMethod, count: 3), "\(described)")
        #expect(trace.frames[c].registers.rip.flatMap { symbolizer.symbolize($0)?.objectPath } == exe)
        #expect(trace.stop == .outermostFrame, "\(described): \(trace.stop)")
        #expect(names.last == "_start", "\(described)")
    }

    @Test func unwindingWorksFromStoredSymbolsAfterTheFilesAreGone() throws {
        try requirePtrace()
        let dir = try TempDirectory()
        defer { dir.remove() }
        let exe = try compileC(callChainSource, name: "gone", flags: ["-O2", "-fomit-frame-pointer"], in: dir)
        // What a bundle keeps: objects as JSON, registers, and the stack bytes.
        let (json, registers, stack) = try withStoppedChild(exe) { pid in
            let memory = try ProcessMemory(pid: pid)
            let objects = try ProcessObjects.loaded(pid: pid, memory: memory)
            let registers = try ProcessObjects.registers(pid: pid)
            let sp = try #require(registers.rsp)
            return (try JSONEncoder().encode(objects), registers, memory.readAvailable(sp & ~0xfff, count: 0x8000))
        }
        dir.remove()
        #expect(access(exe, F_OK) != 0)
        let objects = try JSONDecoder().decode([LoadedObject].self, from: json)
        let unwinder = Unwinder(objects: objects)
        let trace = unwinder.unwind(registers) { address, count in
            for run in stack where address >= run.address && address + UInt64(count) <= run.address + UInt64(run.bytes.count) {
                let start = Int(address - run.address)
                return Array(run.bytes[start..<start + count])
            }
            return nil
        }
        let names = trace.frames.compactMap { unwinder.symbolizer.symbolize($0)?.symbol }
        let c = try #require(names.firstIndex(of: "c"), "\(names)")
        #expect(Array(names[c...].prefix(4)) == ["c", "b", "a", "main"])
        let main = try #require(trace.frames.first { unwinder.symbolizer.symbolize($0)?.symbol == "main" })
        #expect(unwinder.symbolizer.symbolize(main)?.description.hasPrefix("main+0x") == true)
        #expect(unwinder.symbolizer.symbolize(main)?.description.hasSuffix("(\(exe))") == true)
    }
}

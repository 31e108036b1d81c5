import Testing
import VPlayBundle
import VPlaySymbols
@testable import VPlayReport

@Suite("backtraces and symbols from the bundle")
struct BacktraceTests {
    @Test func everyThreadIsUnwoundCrashingFirstOverTheSavedStack() {
        let report = CrashReport(bundle: Fixture.bundle(), path: "b.vplay", fileSize: 1)
        #expect(report.backtraces.map(\.tid) == [7, 8])
        let crashed = report.backtraces[0]
        #expect(crashed.crashed && !report.backtraces[1].crashed)
        #expect(crashed.frames.map(\.pc) == [0x401010, 0x401234, 0x401500])
        #expect(crashed.frames.map(\.method) == [.registers, .framePointer, .framePointer])
        #expect(crashed.methods == [.framePointer])
        #expect(crashed.complete && crashed.stop == "outermost frame")
        // Without objects an address is named by its crash-time mapping.
        #expect(crashed.frames[1].location.description == "\(Fixture.program)+0x1234")
        #expect(report.backtraces[1].frames.count == 1 && report.backtraces[1].methods.isEmpty)
        #expect(report.registers.map(\.tid) == [7, 8])
    }

    @Test func theThreadOptionKeepsOneThreadAndAnUnknownOneIsAWarning() {
        let one = CrashReport(bundle: Fixture.bundle(), path: "b", fileSize: 0, options: ReportOptions(thread: 8))
        #expect(one.backtraces.map(\.tid) == [8] && one.registers.map(\.tid) == [8])
        #expect(one.syscalls.lines.allSatisfy { $0.tid == 8 })
        let none = CrashReport(bundle: Fixture.bundle(), path: "b", fileSize: 0, options: ReportOptions(thread: 1))
        #expect(none.backtraces.isEmpty)
        #expect(none.warnings.contains("thread 1 is not in the bundle (threads: 7, 8)"))
    }

    @Test func libcSymbolsNameThePcAndCFIFindsTheCaller() throws {
        let libc = try Fixture.libc()
        let symbols = try ObjectSymbols(path: Fixture.libcPath, elf: libc)
        let abort = try #require(symbols.symbols.first { $0.name == "abort" })
        let exit = try #require(symbols.symbols.first { $0.name == "exit" })
        // libc mapped from file offset 0 at base; a thread stopped on abort's first instruction,
        // whose return address (into exit) is at [rsp].
        let base: UInt64 = 0x7f00_0000_0000
        let bias = symbols.loadBias(mappingStart: base, mappingOffset: 0)
        let rsp = Fixture.stackBase + 0x1f00
        var bundle = Fixture.bundle(objects: [BundledObject(path: Fixture.libcPath, buildID: symbols.buildID, bytes: libc)])
        bundle.state.crashMappings = Fixture.mappings + [MemoryMapping(start: base, end: base + 0x20_0000, permissions: "r-xp", offset: 0, path: Fixture.libcPath)]
        bundle.manifest.crash.pc = bias + abort.start
        bundle.manifest.crash.threads = [Fixture.thread(7, rip: bias + abort.start, rsp: rsp, rbp: 0)]
        bundle.crashMemory = [stackRun(at: rsp, words: [bias + exit.start + 0x10])]
        let report = CrashReport(bundle: bundle, path: "b", fileSize: 0)
        #expect(report.crash.pc.description == "abort (\(Fixture.libcPath))")
        #expect(report.objects.map(\.path) == [Fixture.libcPath])
        #expect(report.objects.first?.loadedAt?.contains(bias + abort.start) == true)
        #expect((report.objects.first?.symbols ?? 0) > 1000)
        let frames = try #require(report.backtraces.first?.frames)
        #expect(frames.count >= 2)
        #expect(frames.first?.location.symbol == "abort")
        #expect(frames.dropFirst().first?.location.symbolWithOffset == "exit+0x10")
        #expect(frames.dropFirst().first?.method == .cfi)
    }

    @Test func withoutACrashTimeMapObjectsArePlacedByTheWindowStartMap() throws {
        let libc = try Fixture.libc()
        var bundle = Fixture.bundle(objects: [BundledObject(path: Fixture.libcPath, buildID: nil, bytes: libc)], crashMappings: nil)
        var report = CrashReport(bundle: bundle, path: "b", fileSize: 0)
        #expect(report.warnings.contains { $0.contains("is in no mapping") })
        #expect(report.warnings.contains { $0.contains("no crash-time memory map") })
        bundle.state.mappings.append(MemoryMapping(start: 0x7f00_0000_0000, end: 0x7f00_0010_0000, permissions: "r--p", offset: 0, path: Fixture.libcPath))
        report = CrashReport(bundle: bundle, path: "b", fileSize: 0)
        #expect(report.objects.first?.loadedAt != nil)
    }

    @Test func anObjectThatIsNotELFIsAWarning() {
        let junk = BundledObject(path: "/lib/junk.so", buildID: nil, bytes: Array("not an ELF file".utf8))
        let report = CrashReport(bundle: Fixture.bundle(objects: [junk]), path: "b", fileSize: 0)
        #expect(report.warnings.contains { $0.hasPrefix("/lib/junk.so: no symbols:") })
        #expect(report.objects.first?.symbols == 0 && report.objects.first?.loadedAt == nil)
        #expect(report.backtraces.first?.frames.count == 3)
    }

    @Test func aVersion1BundleSaysWhyNothingIsSymbolized() {
        var bundle = Fixture.bundle()
        bundle.manifest.formatVersion = 1
        bundle.crashMemory = []
        let report = CrashReport(bundle: bundle, path: "b", fileSize: 0)
        #expect(report.warnings.contains { $0.contains("no ELF objects (format 1)") })
        #expect(report.warnings.contains { $0.contains("no stacks from the crash") })
        #expect(report.backtraces.first?.frames.count == 1)
    }
}

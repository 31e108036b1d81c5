import Foundation
import Testing
import VPlayBundle
import VPlayJSON
@testable import VPlayReport

/// Bundles whose checksums are fine but whose contents are nonsense (a hostile or buggy writer):
/// the report must still be built and rendered, never trap.
@Suite("reports of nonsense bundles")
struct RobustnessTests {
    @Test(arguments: 0..<200)
    func randomContentsNeverTrap(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed))
        let bundle = Self.randomBundle(&rng)
        let report = CrashReport(bundle: bundle, path: "r.vplay", fileSize: rng.next(),
                                 options: ReportOptions(syscallLimit: Bool.random(using: &rng) ? nil : Int.random(in: 0...5, using: &rng)))
        #expect(!ReportText.render(report).isEmpty)
        _ = try JSONDecoder().decode(JSONValue.self, from: Data(try ReportJSON.render(report).utf8))
    }

    @Test(arguments: 0..<40)
    func damagedELFObjectsAreWarningsNotCrashes(seed: Int) throws {
        var rng = SeededGenerator(seed: UInt64(seed) &+ 1000)
        var libc = try Fixture.libc()
        switch seed % 3 {
        case 0: libc = Array(libc.prefix(Int.random(in: 0..<min(libc.count, 1 << 16), using: &rng)))
        case 1: for _ in 0..<64 { libc[Int.random(in: 0..<4096, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
        default: for _ in 0..<2000 { libc[Int.random(in: 0..<libc.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
        }
        var bundle = Fixture.bundle(objects: [BundledObject(path: Fixture.libcPath, buildID: nil, bytes: libc)])
        bundle.state.crashMappings = Fixture.mappings + [MemoryMapping(start: 0x401000, end: 0x600000, permissions: "r-xp", offset: 0, path: Fixture.libcPath)]
        let report = CrashReport(bundle: bundle, path: "b", fileSize: 0)
        #expect(!ReportText.render(report).isEmpty)
        #expect(throws: Never.self) { try ReportJSON.render(report) }
    }

    static func randomBundle(_ rng: inout SeededGenerator) -> Bundle {
        var bundle = Fixture.bundle(signal: Bool.random(using: &rng) ? Int32.random(in: -5...70, using: &rng) : nil)
        func word() -> UInt64 {
            // Mostly addresses near the fixture's, sometimes anything.
            switch rng.next() % 4 {
            case 0: return rng.next()
            case 1: return 0x401000 + rng.next() % 0x2000
            default: return Fixture.stackBase + rng.next() % 0x3000
            }
        }
        bundle.manifest.crash.code = Int32(truncatingIfNeeded: rng.next())
        bundle.manifest.crash.faultAddress = word()
        bundle.manifest.crash.threads = (0..<Int(rng.next() % 4)).map { i in
            var regs = Registers(words: (0..<27).map { _ in word() }) ?? Registers()
            if rng.next() % 2 == 0 { regs.rbp = regs.rsp &+ 16 }
            return ThreadSnapshot(tid: Int32(i) + (rng.next() % 2 == 0 ? 7 : 100), registers: regs, xstate: [], signalMask: 0)
        }
        bundle.crashMemory = (0..<Int(rng.next() % 4)).map { _ in
            stackRun(at: word() & ~7, words: (0..<Int(rng.next() % 300)).map { _ in word() })
        }
        bundle.state.mappings += (0..<Int(rng.next() % 3)).map { _ in
            MemoryMapping(start: rng.next(), end: rng.next(), permissions: String(decoding: (0..<Int(rng.next() % 6)).map { _ in UInt8(rng.next() % 128) }, as: UTF8.self),
                          offset: rng.next(), path: rng.next() % 2 == 0 ? "/usr/bin/crashy" : "")
        }
        // The crash-time map decides where objects and unnamed addresses are placed.
        bundle.state.crashMappings = [nil, Fixture.mappings, bundle.state.mappings][Int(rng.next() % 3)]
        bundle.pages += (0..<Int(rng.next() % 3)).map { _ in PageRun(address: rng.next(), bytes: [UInt8](repeating: 1, count: Int(rng.next() % 5000))) }
        bundle.log += (0..<Int(rng.next() % 30)).map { _ in randomEvent(&rng) }
        bundle.manifest.memory.residentBytes = rng.next() % 2 == 0 ? 0 : rng.next()
        // NaN and infinity cannot come from a file (JSON has neither).
        bundle.manifest.window.duration = [-1, 0.5, 1e300, 0][Int(rng.next() % 4)]
        return bundle
    }

    static func randomEvent(_ rng: inout SeededGenerator) -> LogEvent {
        let tid = Int32(rng.next() % 3) + 7, time = rng.next() % 2 == 0 ? rng.next() : rng.next() % 10_000_000
        let number = rng.next() % 3 == 0 ? Int32(truncatingIfNeeded: rng.next()) : Int32(rng.next() % 450)
        switch rng.next() % 3 {
        case 0:
            return .syscallEntry(tid: tid, time: time, number: number, args: (0..<Int(rng.next() % 8)).map { _ in rng.next() },
                                 strings: (0..<Int(rng.next() % 3)).map { _ in String(decoding: (0..<Int(rng.next() % 40)).map { _ in UInt8(rng.next() % 256) }, as: UTF8.self) })
        case 1:
            return .syscallExit(tid: tid, time: time, number: number, result: Int64(bitPattern: rng.next()),
                                writes: [MemoryWrite(address: rng.next(), bytes: (0..<Int(rng.next() % 64)).map { _ in UInt8(rng.next() % 256) })])
        default:
            return .signal(tid: tid, time: time, signal: Int32(rng.next() % 70), siginfo: [], registers: Registers(), synchronous: false)
        }
    }
}

import Foundation
import VPlayBundle

/// Foundation also declares a `Bundle`.
typealias Bundle = VPlayBundle.Bundle

/// SplitMix64: a seeded generator, so a failing random case can be run again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Little-endian 8-byte words at addresses, as a stack holds them.
func stackRun(at address: UInt64, words: [UInt64]) -> PageRun {
    PageRun(address: address, bytes: words.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * UInt64($0))) } })
}

enum Fixture {
    static let program = "/usr/bin/crashy"
    static let stackBase: UInt64 = 0x7ffd_0000_0000
    static let libcPath = "/usr/lib/x86_64-linux-gnu/libc.so.6"

    static func registers(rip: UInt64, rsp: UInt64, rbp: UInt64) -> Registers {
        var r = Registers()
        (r.rip, r.rsp, r.rbp) = (rip, rsp, rbp)
        r.rax = UInt64.max  // beyond Int64 and Double: JSON must keep it whole
        r.eflags = 0x246
        return r
    }

    static func thread(_ tid: Int32, rip: UInt64, rsp: UInt64, rbp: UInt64) -> ThreadSnapshot {
        ThreadSnapshot(tid: tid, registers: registers(rip: rip, rsp: rsp, rbp: rbp), xstate: [], signalMask: 0)
    }

    static let mappings = [
        MemoryMapping(start: 0x400000, end: 0x402000, permissions: "r-xp", offset: 0, path: program),
        MemoryMapping(start: 0x402000, end: 0x404000, permissions: "rw-p", offset: 0x2000, path: program),
        MemoryMapping(start: stackBase, end: stackBase + 0x21000, permissions: "rw-p", offset: 0, path: "[stack]"),
    ]

    /// A frame-pointer chain: 0x401010 called from 0x401234, called from 0x401500 (rbp 0 ends it).
    static let crashStack = stackRun(at: stackBase + 0x1f00, words: [
        0, 0, 0x7ffd_0000_1f40, 0x401234,  // 0x1f10: saved rbp, return address
        0, 0, 0, 0, 0, 0x401500,           // 0x1f40: rbp 0 (outermost), return address
    ])

    static let log: [LogEvent] = [
        .syscallEntry(tid: 7, time: 1_000_000, number: 257, args: [UInt64(bitPattern: -100), 0x7000, 0, 0, 0, 0], strings: ["/etc/app.conf"]),
        .syscallExit(tid: 7, time: 1_100_000, number: 257, result: 3, writes: []),
        .syscallEntry(tid: 8, time: 1_200_000, number: 230, args: [1, 0, 0x7100, 0], strings: []),
        .syscallEntry(tid: 7, time: 1_500_000, number: 0, args: [3, 0x7ffd_0000_2000, 4096], strings: []),
        .syscallExit(tid: 7, time: 1_600_000, number: 0, result: 6,
                     writes: [MemoryWrite(address: 0x7ffd_0000_2000, bytes: Array("key=1\n".utf8))]),
        .syscallEntry(tid: 7, time: 2_000_000, number: 9, args: [0, 4096, 1, 2, 3, 0], strings: []),
        .syscallExit(tid: 7, time: 2_100_000, number: 9, result: 0x7f00_0000_0000, writes: []),
        .signal(tid: 7, time: 3_000_000, signal: 11, siginfo: [UInt8](repeating: 0, count: 128), registers: Registers(), synchronous: true),
        .processEnd(tid: 7, time: 9_000_000, status: 11),
    ]

    /// A SIGSEGV of thread 7 at 0x401010 while thread 8 sleeps in clock_nanosleep.
    static func bundle(signal: Int32? = 11, objects: [BundledObject] = [], crashMappings: [MemoryMapping]? = mappings,
                       container: [String: String]? = nil) -> Bundle {
        let threads = [thread(7, rip: 0x401010, rsp: stackBase + 0x1f00, rbp: stackBase + 0x1f10),
                       thread(8, rip: 0x401800, rsp: stackBase + 0x1f00, rbp: 0)]
        let crash = CrashRecord(signal: signal, signalName: signal.map { _ in "SIGSEGV" }, exitCode: signal == nil ? 3 : nil,
                                code: signal.map { _ in 1 }, faultAddress: signal.map { _ in 0x10 }, pc: 0x401010, tid: 7,
                                time: "2025-01-02T03:04:05Z", threads: threads)
        let manifest = Manifest(toolVersion: "0.1.0", createdAt: "2025-01-02T03:04:06Z",
                                process: RecordedProcess(pid: 7, program: program, argv: [program, "--now"], startTime: "2025-01-02T03:04:00Z"),
                                crash: crash,
                                window: WindowInfo(seconds: 2, duration: 0.009, startReason: "exec", startTime: "2025-01-02T03:04:05Z"),
                                log: LogSummary(syscalls: 3, signals: 1, rdtsc: 0, events: log.count),
                                memory: MemorySummary(savedBytes: 3 * 4096 + 100, residentBytes: 1 << 20, mappings: 3),
                                verified: true, warnings: ["rdrand used at 0x401234"], container: container,
                                trial: TrialReplay(reproduced: true, pagesTouched: 4, seconds: 0.01))
        let state = ProcessState(brk: 0x405000, signalActions: [], threads: threads, mappings: mappings, crashMappings: crashMappings)
        let pages = [PageRun(address: 0x400000, bytes: [UInt8](repeating: 0x90, count: 4096)),
                     PageRun(address: 0x401000, bytes: [UInt8](repeating: 0xc3, count: 100)),
                     PageRun(address: stackBase + 0x1000, bytes: [UInt8](repeating: 1, count: 8192))]
        return Bundle(manifest: manifest, state: state, pages: pages, log: log, objects: objects, crashMemory: [crashStack])
    }

    /// The host's libc, a real ELF object with .dynsym and .eh_frame.
    static func libc() throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: libcPath) else {
            throw FixtureError("\(libcPath) is missing: the symbolization tests read the host's libc")
        }
        return [UInt8](data)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

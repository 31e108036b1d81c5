import Foundation
import Testing
@testable import VPlayBundle

/// Foundation also declares a `Bundle`.
typealias Bundle = VPlayBundle.Bundle

/// A deterministic byte pattern (xorshift), so fixtures are incompressible where that matters.
func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var x = seed | 1
    return (0..<count).map { _ in
        x ^= x << 13; x ^= x >> 7; x ^= x << 17
        return UInt8(truncatingIfNeeded: x)
    }
}

func registers(_ base: UInt64) -> Registers {
    var words = (0..<27).map { base &+ UInt64($0) }
    words[16] = 0xffff_ffff_ff60_0000 &+ base   // rip near the top: UInt64 beyond Int64/Double precision
    return Registers(words: words) ?? Registers()
}

func thread(_ tid: Int32) -> ThreadSnapshot {
    ThreadSnapshot(tid: tid, registers: registers(UInt64(tid)), xstate: pattern(832, seed: UInt64(tid)), signalMask: 1 << 9)
}

/// One event of every kind, including the edge cases of each encoding.
let everyKindOfEvent: [LogEvent] = [
    .syscallEntry(tid: 7, time: 1, number: 257, args: [UInt64.max, 0, 0x7ffd_0000_1000, 0o644, 0, 0], strings: ["/etc/hosts", "", "naïve ✓"]),
    .syscallExit(tid: 7, time: 2, number: 257, result: 3, writes: []),
    .syscallEntry(tid: 7, time: 3, number: 0, args: [3, 0x7ffd_0000_2000, 4096], strings: []),
    .syscallExit(tid: 7, time: 4, number: 0, result: 11, writes: [MemoryWrite(address: 0x7ffd_0000_2000, bytes: Array("hello world".utf8)),
                                                                   MemoryWrite(address: 0x10, bytes: [])]),
    .syscallExit(tid: 8, time: 5, number: 62, result: Int64.min, writes: []),
    .signal(tid: 7, time: 6, signal: 11, siginfo: pattern(128, seed: 6), registers: registers(0x1000), synchronous: true),
    .signal(tid: 8, time: 7, signal: 10, siginfo: [], registers: Registers(), synchronous: false),
    .rdtsc(tid: 7, time: 8, pc: 0x401000, value: UInt64.max, aux: nil),
    .rdtsc(tid: 7, time: 9, pc: 0x401002, value: 12345, aux: UInt32.max),
    .threadStart(tid: 9, time: 10, parent: 7),
    .processEnd(tid: 7, time: UInt64.max, status: -1),
]

func sampleBundle(log: [LogEvent] = everyKindOfEvent, signal: Int32? = 11) -> Bundle {
    let crash = CrashRecord(signal: signal, signalName: signal == nil ? nil : "SIGSEGV", exitCode: signal == nil ? 3 : nil,
                            code: signal == nil ? nil : 1, faultAddress: signal == nil ? nil : 0xdead_beef_0000_0000,
                            pc: 0xffff_ffff_ff60_0007, tid: 7, time: "2025-01-02T03:04:05Z", threads: [thread(7), thread(8)])
    let manifest = Manifest(toolVersion: "0.1.0", createdAt: "2025-01-02T03:04:06Z",
                            process: RecordedProcess(pid: 7, program: "/usr/bin/crashy", argv: ["crashy", "--now"]),
                            crash: crash,
                            window: WindowInfo(seconds: 5, duration: 2.25, startReason: "rotation", startTime: "2025-01-02T03:04:00Z"),
                            log: LogSummary(syscalls: 4, signals: 2, rdtsc: 2, events: log.count),
                            memory: MemorySummary(savedBytes: 3 * 4096 + 100, residentBytes: 1 << 30, mappings: 2),
                            verified: true, warnings: ["rdrand used at 0x401234"],
                            container: ["id": "abc123", "bundle": "/run/containers/abc123"])
    let state = ProcessState(brk: 0x5555_5555_0000,
                             signalActions: [SignalAction(signal: 11, handler: 0x401100, flags: 0x0400_0004, restorer: 0x401200, mask: 0)],
                             threads: [thread(7), thread(8), thread(9)],
                             mappings: [MemoryMapping(start: 0x400000, end: 0x402000, permissions: "r-xp", offset: 0, path: "/usr/bin/crashy"),
                                        MemoryMapping(start: 0x7ffd_0000_0000, end: 0x7ffd_0002_1000, permissions: "rw-p", offset: 0, path: "[stack]")])
    let pages = [
        PageRun(address: 0x400000, bytes: pattern(4096, seed: 1)),
        PageRun(address: 0x401000, bytes: [UInt8](repeating: 0, count: 4096)),
        PageRun(address: 0x7ffd_0000_2000, bytes: pattern(4096, seed: 3)),
        PageRun(address: 0xffff_ffff_ff60_0000, bytes: pattern(100, seed: 4)),
    ]
    return Bundle(manifest: manifest, state: state, pages: pages, log: log)
}

/// A fresh directory, removed when the test ends.
final class TempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("vplay-bundle-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String) -> String { path + "/" + name }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }
}

@discardableResult
func run(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Member layout found by walking the tar headers independently of the reader.
struct MemberExtent {
    var name: String
    var header: Int
    var data: Int
    var size: Int
    var paddingEnd: Int { data + (size + 511) / 512 * 512 }
}

func members(of bytes: [UInt8]) -> [MemberExtent] {
    var result: [MemberExtent] = []
    var offset = 0
    while offset + 512 <= bytes.count, bytes[offset] != 0 {
        let name = String(decoding: bytes[offset..<offset + 100].prefix { $0 != 0 }, as: UTF8.self)
        let sizeField = bytes[offset + 124..<offset + 135]
        let size = Int(String(decoding: sizeField, as: UTF8.self), radix: 8) ?? 0
        let m = MemberExtent(name: name, header: offset, data: offset + 512, size: size)
        result.append(m)
        offset = m.paddingEnd
    }
    return result
}

func readBytes(_ path: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The BundleError `body` throws, or nil when it succeeds; any other error fails the test.
func bundleError<T>(_ body: () throws -> T) -> BundleError? {
    do {
        _ = try body()
        return nil
    } catch let error as BundleError {
        return error
    } catch {
        Issue.record("unexpected non-BundleError \(error)")
        return nil
    }
}

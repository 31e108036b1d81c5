// Shared helpers for the kernel-layer tests: starting and ending child processes by pid,
// bounded waits, compiling small C programs, and the ptrace-permission gate.
//
// Every test that traces a process is synchronous: ptrace requests must come from the thread
// that attached the tracee, and a synchronous test body runs on one thread from start to end.

import CVPlay
import Foundation
import Glibc
import Testing
import VPlayBundle
import VPlayKernel
import VPlayTestSupport

// MARK: - ptrace permission

enum PtraceGate {
    static let isCI = runningUnderCI

    /// nil when this process may trace its own children; otherwise what went wrong.
    static let problem: String? = ptraceProblem

    /// Traced tests run when ptrace works, and always under CI=true, where a missing
    /// permission must fail them loudly instead of skipping them.
    static var enabled: Bool { problem == nil || isCI }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when ptrace is permitted or CI=true (where a missing permission fails it).
    static var needsPtrace: Self {
        .enabled(if: PtraceGate.enabled,
                 "ptrace is not permitted here (\(PtraceGate.problem ?? "?")); set CI=true to make this a failure")
    }
}

// MARK: - Child processes


/// A forked copy of this process that did PTRACE_TRACEME and is now in its SIGSTOP
/// signal-delivery stop, right after the `syscall` instruction of raise(). As the replayer
/// does, it gets TRACESYSGOOD (RemoteCaller tells syscall stops by it) and EXITKILL.
func spawnTracemeStopped(options: PtraceOptions = [.traceSysGood, .exitKill]) throws -> ChildProcess {
    let pid = vp_spawn_traceme_stopped()
    guard pid > 0 else { throw TestFailure("vp_spawn_traceme_stopped: errno \(-pid)") }
    let child = ChildProcess(pid)
    do {
        try child.expectStop(.signalStop(signal: SIGSTOP))
        try Tracee(pid).setOptions(options)
    } catch {
        child.end()
        throw error
    }
    return child
}

// MARK: - Memory helpers

let pageSize: UInt64 = 0x1000

/// An anonymous private mapping in this process, unmapped by `unmap()`.
struct LocalMapping {
    let base: UnsafeMutableRawPointer
    let size: Int
    var address: UInt64 { UInt64(UInt(bitPattern: base)) }

    init(pages: Int, protection: Int32 = PROT_READ | PROT_WRITE) throws {
        size = pages * Int(pageSize)
        guard let p = mmap(nil, size, protection, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            throw TestFailure("mmap: errno \(errno)")
        }
        base = p
    }

    func unmap() { munmap(base, size) }

    func fill(_ byte: (Int) -> UInt8) {
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        for i in 0..<size { bytes[i] = byte(i) }
    }

    func bytes(at offset: Int, count: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: base + offset, count: count))
    }
}

/// A byte pattern that differs from page to page, for telling runs apart.
func pattern(_ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: i &* 7 &+ i / 4096 &* 13 &+ 1) }

// MARK: - Building C programs


/// Runs a tool (PATH search) to completion; throws with its output when it fails.
func runTool(_ argv: [String], timeout: Double = 60) throws {
    let out = try TempDirectory()
    defer { out.remove() }
    let log = out.path + "/out"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cargs.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
    guard rc == 0 else { throw TestFailure("cannot run \(argv[0]): errno \(rc)") }
    let child = ChildProcess(pid)
    defer { child.end() }
    let status = try child.wait(timeout: timeout)
    guard status == .exited(code: 0) else {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        throw TestFailure("\(argv.joined(separator: " ")) ended with \(status):\n\(text)")
    }
}

/// Compiles one C source file with gcc into `dir` and returns the executable's path.
func compileC(_ source: String, name: String, in dir: TempDirectory) throws -> String {
    let src = dir.path + "/\(name).c", exe = dir.path + "/\(name)"
    try source.write(toFile: src, atomically: true, encoding: .utf8)
    try runTool(["gcc", "-O0", "-o", exe, src])
    return exe
}

// MARK: - Syscall stops

/// Resumes a seized (TRACESYSGOOD) child with PTRACE_SYSCALL until the entry of syscall
/// `number`; returns the registers there. Throws if the child ends or `limit` stops pass first.
@discardableResult
func runToSyscallEntry(_ child: ChildProcess, _ number: UInt64, limit: Int = 20000) throws -> Registers {
    let tracee = Tracee(child.pid)
    for _ in 0..<limit {
        try tracee.resumeSyscall()
        let status = try child.wait()
        switch status {
        case .syscallStop:
            if try tracee.syscallStopKind() == .entry {
                let regs = try tracee.registers()
                if regs.origRax == number { return regs }
            }
        case .exited, .signaled:
            throw TestFailure("pid \(child.pid) ended (\(status)) before syscall \(number)")
        default:
            continue
        }
    }
    throw TestFailure("pid \(child.pid): no syscall \(number) within \(limit) stops")
}

/// The numbers of the syscalls a seized child enters until it enters `marker` (exclusive).
func syscallEntries(until marker: UInt64, _ child: ChildProcess, limit: Int = 20000) throws -> [UInt64] {
    let tracee = Tracee(child.pid)
    var seen: [UInt64] = []
    for _ in 0..<limit {
        try tracee.resumeSyscall()
        let status = try child.wait()
        switch status {
        case .syscallStop:
            if try tracee.syscallStopKind() == .entry {
                let nr = try tracee.registers().origRax
                if nr == marker { return seen }
                seen.append(nr)
            }
        case .exited, .signaled:
            throw TestFailure("pid \(child.pid) ended (\(status)) before syscall \(marker); saw \(seen)")
        default:
            continue
        }
    }
    throw TestFailure("pid \(child.pid): no syscall \(marker) within \(limit) stops; saw \(seen.prefix(50))")
}

/// Parent suite of everything that traces processes: serialized (recursively), time-limited,
/// and enabled when ptrace works or CI=true.
@Suite(.serialized, .timeLimit(.minutes(1)), .needsPtrace)
struct TracedProcessTests {
    @Test func ptraceIsPermitted() {
        #expect(PtraceGate.problem == nil, "ptrace of a child process failed: \(PtraceGate.problem ?? "")")
    }
}

// MARK: - Reading /proc files whole

/// Reads a file to its end with read(2) until EOF. /proc files report size 0, and
/// Foundation's FileManager.contents(atPath:) returns only the first read of them.
func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw TestFailure("open \(path): errno \(errno)") }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        guard n >= 0 else { throw TestFailure("read \(path): errno \(errno)") }
        if n == 0 { return out }
        out += buf[..<n]
    }
}

/// All of /proc/PID/maps, parsed by ProcFS.parseMaps (independent of ProcFS.readText).
func completeMaps(_ pid: Int32) throws -> [MemoryMapping] {
    try ProcFS.parseMaps(String(decoding: try readWholeFile("/proc/\(pid)/maps"), as: UTF8.self))
}

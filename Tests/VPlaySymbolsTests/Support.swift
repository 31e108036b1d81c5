// Helpers for the symbol tests: prerequisites (gcc, binutils, ptrace) that skip a test
// locally but fail it under CI=true, running tools, compiling C programs, and starting and
// ending child processes by pid.
//
// Tests that trace a process are synchronous: ptrace requests must come from the thread that
// attached the tracee, and a synchronous test body runs on one thread from start to end.

import CVPlay
import Foundation
import Glibc
import Testing
import VPlayKernel
import VPlayTestSupport
import VPlaySymbols

// MARK: - Prerequisites

enum Prerequisite {
    static let isCI = runningUnderCI

    /// The full path of `tool` on PATH, nil when it is not installed.
    static func path(of tool: String) -> String? { executablePath(of: tool) }

    static let gcc = path(of: "gcc")
    static let readelf = path(of: "readelf")
    static let nm = path(of: "nm")
    static let busybox = [String](["/bin/busybox", "/usr/bin/busybox"]).first { access($0, R_OK) == 0 }
    static let libc = "/lib/x86_64-linux-gnu/libc.so.6"

    /// nil when this process may trace its own children; otherwise what went wrong.
    static let ptraceProblem: String? = VPlayTestSupport.ptraceProblem

}

extension Trait where Self == ConditionTrait {
    /// Runs the test when the tools are installed, and always under CI=true, where the test
    /// must then fail on what is missing (`requireTools`) instead of being skipped.
    static func needs(_ tools: String...) -> Self {
        let missing = tools.filter { Prerequisite.path(of: $0) == nil }
        return .enabled(if: missing.isEmpty || Prerequisite.isCI,
                        "not installed: \(missing.joined(separator: ", ")); set CI=true to make this a failure")
    }

    /// As `needs`, for permission to ptrace child processes.
    static var needsPtrace: Self {
        .enabled(if: Prerequisite.ptraceProblem == nil || Prerequisite.isCI,
                 "ptrace is not permitted here (\(Prerequisite.ptraceProblem ?? "?")); set CI=true to make this a failure")
    }

    static var needsBusybox: Self {
        .enabled(if: Prerequisite.busybox != nil || Prerequisite.isCI, "busybox is not installed")
    }
}

/// The path of an installed tool; throws (failing the test) when it is missing.
func requireTool(_ tool: String) throws -> String {
    guard let path = Prerequisite.path(of: tool) else { throw TestFailure("\(tool) is not installed") }
    return path
}

func requirePtrace() throws {
    if let problem = Prerequisite.ptraceProblem { throw TestFailure("ptrace of a child process failed: \(problem)") }
}

// MARK: - Files and tools


func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw TestFailure("cannot read \(path)") }
    return [UInt8](data)
}

/// Runs a tool (PATH search) to completion and returns its stdout; throws with its output
/// when it fails.
@discardableResult
func runTool(_ argv: [String], timeout: Double = 120, allowFailure: Bool = false) throws -> String {
    let dir = try TempDirectory()
    defer { dir.remove() }
    let out = dir.path + "/out", err = dir.path + "/err"
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { cargs.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
    guard rc == 0 else { throw TestFailure("cannot run \(argv[0]): errno \(rc)") }
    let child = ChildProcess(pid)
    defer { child.end() }
    let status = try child.wait(timeout: timeout)
    let stdout = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
    guard status == .exited(code: 0) || (allowFailure && !stdout.isEmpty) else {
        let stderr = (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        throw TestFailure("\(argv.joined(separator: " ")) ended with \(status):\n\(stderr)")
    }
    return stdout
}

/// Compiles C `source` with gcc and `flags` into `dir`; returns the executable's path.
func compileC(_ source: String, name: String, flags: [String], in dir: TempDirectory) throws -> String {
    let gcc = try requireTool("gcc")
    let src = dir.path + "/\(name).c", exe = dir.path + "/\(name)"
    try source.write(toFile: src, atomically: true, encoding: .utf8)
    try runTool([gcc] + flags + ["-Wl,--build-id", "-o", exe, src])
    return exe
}

/// A program whose call chain main -> a -> b -> c ends in raise(SIGSTOP), with a static
/// function and data objects for the symbol tests. noinline/noclone and work after each call
/// keep every frame (no inlining, no tail calls, no .constprop clones).
let callChainSource = """
    #include <signal.h>
    #include <stdio.h>
    volatile int sink;
    static volatile int table[16];
    static __attribute__((noinline, noclone)) int helper(int x) { table[x & 15] = x; sink = x; return x * 7 + sink; }
    __attribute__((noinline, noclone)) int c(int x) { raise(SIGSTOP); sink = x; return x + 1; }
    __attribute__((noinline, noclone)) int b(int x) { int r = c(x + 1); sink = r; return r * 2; }
    __attribute__((noinline, noclone)) int a(int x) { int r = b(x + 2); sink = r; return r * 3; }
    int main(int argc, char **argv) { int r = a(argc) + helper(argc); printf("%d\\n", r); return 0; }
    """

// MARK: - Child processes


/// Runs `executable` under ptrace (seized before exec) until it stops itself with SIGSTOP,
/// then calls `body` with its pid; kills and reaps it afterwards, whatever happens.
func withStoppedChild<T>(_ executable: String, _ body: (Int32) throws -> T) throws -> T {
    let spawned = try spawnGated([executable])
    let child = ChildProcess(spawned.pid)
    defer {
        child.end()
        close(spawned.gate)
    }
    try Tracee.seize(spawned.pid, options: [.exitKill])
    var byte: UInt8 = 1
    guard write(spawned.gate, &byte, 1) == 1 else { throw TestFailure("cannot release pid \(spawned.pid)") }
    let status = try child.wait()
    guard status == .signalStop(signal: SIGSTOP) else {
        throw TestFailure("pid \(spawned.pid): expected the SIGSTOP stop, got \(status)")
    }
    return try body(spawned.pid)
}

// MARK: - Deterministic randomness

/// SplitMix64: reproducible mutations, so a failing fuzz case can be replayed.
struct SplitMix64: RandomNumberGenerator {
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

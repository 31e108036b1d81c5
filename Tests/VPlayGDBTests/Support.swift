// Helpers for the gdb server tests: prerequisites (gdb, gcc, ptrace) that skip locally and
// fail under CI=true, child processes ended by pid, temporary directories, compiling C.

import CVPlay
import Foundation
import Glibc
import Testing
import VPlayKernel
import VPlayTestSupport

// MARK: - Prerequisites

enum Prerequisites {
    static let isCI = runningUnderCI

    /// nil when gdb, gcc and ptrace are usable; otherwise what is missing.
    static let problem: String? = probe()

    /// End-to-end tests run when everything is there, and always under CI=true, where a
    /// missing prerequisite must fail them instead of skipping them.
    static var enabled: Bool { problem == nil || isCI }

    private static func probe() -> String? {
        for tool in ["gdb", "gcc"] where findExecutable(tool) == nil {
            return "\(tool) is not installed (apt-get install -y \(tool))"
        }
        return ptraceProblem.map { "ptrace is not permitted: \($0)" }
    }

    static func findExecutable(_ name: String) -> String? { executablePath(of: name) }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when gdb, gcc and ptrace are available, or under CI=true (where their
    /// absence fails it).
    static var needsGDB: Self {
        .enabled(if: Prerequisites.enabled,
                 "\(Prerequisites.problem ?? "?"); set CI=true to make this a failure")
    }
}

// MARK: - Processes

/// A non-traced child (gdb, gcc) started with its output in a file; ended by pid.
final class ToolProcess {
    let pid: Int32
    let outputPath: String
    private(set) var status: WaitStatus?

    /// Starts `argv` (PATH search) with stdin /dev/null and stdout+stderr into `outputPath`.
    init(_ argv: [String], outputPath: String) throws {
        self.outputPath = outputPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargs, environ)
        guard rc == 0 else { throw TestFailure("cannot run \(argv[0]): errno \(rc)") }
        self.pid = pid
    }

    /// Waits for the end, SIGKILLing the process after `timeout` seconds.
    @discardableResult
    func wait(timeout: Double) throws -> WaitStatus {
        if let status { return status }
        let deadline = monotonicSeconds() + timeout
        while true {
            if let w = try waitForTask(pid, noHang: true), w.status.isTerminal {
                status = w.status
                return w.status
            }
            if monotonicSeconds() > deadline {
                end()
                throw TestFailure("\(outputPath): process \(pid) did not end within \(timeout) s:\n\(output)")
            }
            usleep(2000)
        }
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// SIGKILL and reap, unless already reaped (so a recycled pid is never signalled).
    func end() {
        guard status == nil else { return }
        kill(pid, SIGKILL)
        while let w = try? waitForTask(pid) {
            if w.status.isTerminal {
                status = w.status
                return
            }
        }
    }
}

/// Calls `action` on another thread unless cancelled within `seconds`: ends a session whose
/// gdb hangs by killing gdb (its pid), which closes the connection the server blocks on.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelled = false
    private let done = DispatchSemaphore(value: 0)

    init(seconds: Double, _ action: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [self] in
            let fired = done.wait(timeout: .now() + seconds) == .timedOut
            lock.lock()
            defer { lock.unlock() }
            if fired && !cancelled { action() }
        }
    }

    /// After this returns the action has either run or never will.
    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
        done.signal()
    }
}

// MARK: - Files and programs


/// Compiles one C file with `gcc -g -O0` into `dir`; returns the executable's path.
func compileC(_ source: String, name: String, in dir: TempDirectory) throws -> String {
    let src = dir.path + "/\(name).c", exe = dir.path + "/\(name)"
    try source.write(toFile: src, atomically: true, encoding: .utf8)
    let gcc = try ToolProcess(["gcc", "-g", "-O0", "-o", exe, src], outputPath: dir.path + "/gcc.out")
    defer { gcc.end() }
    let status = try gcc.wait(timeout: 120)
    guard status == .exited(code: 0) else { throw TestFailure("gcc failed (\(status)):\n\(gcc.output)") }
    return exe
}

/// The 1-based line of the first line of `source` containing `marker`.
func line(of marker: String, in source: String) -> Int {
    (source.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(marker) } ?? -1) + 1
}

// What the test targets share: starting gated children (by pid, never by name), the probe of
// whether ptrace is permitted, tool lookup on PATH, and a monotonic clock. Used only by tests.

import CVPlay
import Foundation
import Glibc
import VPlayKernel

public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Whether CI=true: there a missing prerequisite fails a test instead of skipping it.
public let runningUnderCI = ProcessInfo.processInfo.environment["CI"] == "true"

/// The full path of `tool` on PATH, nil when it is not installed.
public func executablePath(of tool: String) -> String? {
    let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
    return dirs.map { "\($0)/\(tool)" }.first { access($0, X_OK) == 0 }
}

public func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Starts `argv` through vp_spawn_gated: the child blocks until a byte arrives on `gate`
/// (see `release`), then execs, pinned to `cpu` unless it is -1. The caller owns `gate` and
/// the pid.
public func spawnGated(_ argv: [String], cpu: Int32 = -1) throws -> (pid: Int32, gate: Int32) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw TestFailure("pipe: errno \(errno)") }
    // Children that other tests fork concurrently must not keep the gate open.
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    let pid = withCStringArray(argv) { vp_spawn_gated($0, fds[0], fds[1], cpu) }
    close(fds[0])
    guard pid > 0 else {
        close(fds[1])
        throw TestFailure("vp_spawn_gated(\(argv)): errno \(-pid)")
    }
    return (pid, fds[1])
}

/// Lets a gated child exec.
public func release(_ gate: Int32) {
    var byte: UInt8 = 1
    _ = write(gate, &byte, 1)
}

/// nil when this process may trace its own children; otherwise what went wrong.
public let ptraceProblem: String? = {
    let child: (pid: Int32, gate: Int32)
    do { child = try spawnGated(["/bin/true"]) } catch { return "cannot start a probe process: \(error)" }
    defer {
        killAndReap(child.pid)
        close(child.gate)
    }
    do {
        try Tracee.seize(child.pid, options: [.exitKill])
        return nil
    } catch {
        return "\(error)"
    }
}()

/// A process this test started. Ended by pid (SIGKILL + reap) unless it was already reaped,
/// so a recycled pid is never signalled.
public final class ChildProcess {
    public let pid: Int32
    public private(set) var reaped = false

    public init(_ pid: Int32) { self.pid = pid }

    /// The next state change of the child, or a thrown error after `timeout` seconds.
    @discardableResult
    public func wait(timeout: Double = 20) throws -> WaitStatus {
        let deadline = monotonicSeconds() + timeout
        var spins = 0
        while true {
            if let w = try waitForTask(pid, noHang: true) {
                if w.status.isTerminal { reaped = true }
                return w.status
            }
            if monotonicSeconds() > deadline {
                throw TestFailure("pid \(pid): no state change within \(timeout) s")
            }
            spins += 1
            if spins < 200 { sched_yield() } else { usleep(500) }
        }
    }

    /// Waits for a stop that must be `expected`; throws (with what came instead) otherwise.
    public func expectStop(_ expected: WaitStatus, timeout: Double = 20) throws {
        let status = try wait(timeout: timeout)
        guard status == expected else {
            throw TestFailure("pid \(pid): expected \(expected), got \(status)")
        }
    }

    public func end() {
        guard !reaped else { return }
        killAndReap(pid)
        reaped = true
    }
}

/// A temporary directory, removed by `remove()`.
public struct TempDirectory {
    public let path: String
    public init(prefix: String = "vplay-tests") throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw TestFailure("mkdtemp: errno \(errno)") }
        path = String(cString: p)
    }
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}

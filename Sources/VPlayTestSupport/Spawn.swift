// How the end-to-end and container tests start a command: in a session and process group of
// its own (so a timeout can end everything it started, by that group), with default signal
// dispositions, an empty mask, its stdio on files, and the leak check's token in its
// environment.

import Foundation
import Glibc

private typealias AddChdirFn = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

/// glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift's Glibc module; look it up.
private let addChdir: AddChdirFn? = {
    guard let sym = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
    return unsafeBitCast(sym, to: AddChdirFn.self)
}()

/// Starts `command` (looked up in PATH if it has no slash) and registers it with `ledger`.
/// Returns its pid, or the errno of posix_spawn.
public func spawnInOwnSession(_ command: [String], stdin: String, stdout: String, stderr: String, cwd: String?,
                              environment: [String: String], ledger: LeakLedger?) -> Result<pid_t, SpawnFailure> {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    var argv = command
    if let cwd {
        if let addChdir {
            _ = addChdir(&actions, cwd)
        } else {
            argv = ["/usr/bin/env", "-C", cwd] + command  // env execs the command: same pid
        }
    }

    var attr = posix_spawnattr_t()
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    // A new session (glibc's POSIX_SPAWN_SETSID, 0x80, not visible to Swift) is also a new group.
    posix_spawnattr_setflags(&attr, Int16(0x80 | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var emptyMask = sigset_t()
    sigemptyset(&emptyMask)
    posix_spawnattr_setsigmask(&attr, &emptyMask)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for sig in 1..<32 where sig != SIGKILL && sig != SIGSTOP { sigaddset(&defaults, Int32(sig)) }
    posix_spawnattr_setsigdefault(&attr, &defaults)

    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    let spawnToken = ledger?.nextSpawnToken()
    if let spawnToken { env[LeakLedger.environmentKey] = spawnToken }
    let cArgv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    let cEnv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArgv.forEach { free($0) }
        cEnv.forEach { free($0) }
    }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, &attr, cArgv, cEnv)
    guard rc == 0 else { return .failure(SpawnFailure(program: argv[0], errno: rc)) }
    if let ledger, let spawnToken { ledger.register(spawn: pid, token: spawnToken) }
    return .success(pid)
}

public struct SpawnFailure: Error, CustomStringConvertible {
    public let program: String
    public let errno: Int32
    public var description: String { "cannot start \(program): \(String(cString: strerror(errno)))" }
}

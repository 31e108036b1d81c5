// The leak check: no process a test started may outlive it (no shadow of vplay's, no orphan of
// the program's). Processes are tied to what a test spawned by pid, session, process group,
// parent ancestry and an environment token — never by name.
//
// How a process is tied to a spawn S (a child the test harness started itself):
//  - its session id or process group id is S (spawns are made session leaders, so a program
//    that moves itself to another group with setpgid still belongs to S's session);
//  - one of its ancestors (ppid chain, while they live) is S;
//  - its environment holds VPLAY_TEST_SPAWN=<S's token> (inherited across fork,
//    setsid, double forks and reparenting to init; lost only by an execve with another
//    environment);
//  - or the test named its pid with `watch(pid:)` (e.g. a daemon whose pid file it read).
// Every tie but the ancestry one survives reparenting to init, so orphans are found too.
// Zombies are not counted: they hold neither memory nor files.

import Foundation
import Glibc

/// One process found alive after the spawn that it belongs to had ended.
public struct LeakedProcess: CustomStringConvertible, Sendable {
    public let pid: pid_t
    public let ppid: pid_t
    public let pgid: pid_t
    public let sid: pid_t
    public let state: Character
    /// The command line, for the message only (the check never selects by it).
    public let commandLine: String
    /// Why it counts as the spawn's: "session 123", "group 123", "ancestor 123", "environment", "watched".
    public let tie: String
    /// The spawn (or watched pid) it belongs to.
    public let spawn: pid_t

    public var description: String {
        "pid \(pid) (ppid \(ppid), pgid \(pgid), sid \(sid), state \(state), \(tie)): \(commandLine)"
    }
}

/// A process's line of /proc/PID/stat, the fields the check needs.
public struct ProcStat: Sendable {
    public let pid: pid_t
    public let state: Character
    public let ppid: pid_t
    public let pgid: pid_t
    public let sid: pid_t
    /// Start time in clock ticks since boot (tells a pid apart from a later one that reuses it).
    public let startTicks: UInt64

    /// Reads /proc/PID/stat; nil when the process is gone. The command name is skipped by the
    /// last ')' (it may itself hold spaces and parentheses).
    public static func read(_ pid: pid_t) -> ProcStat? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state(3) ppid(4) pgrp(5) session(6) ... starttime(22).
        guard fields.count >= 20, let state = fields[0].first,
              let ppid = pid_t(fields[1]), let pgid = pid_t(fields[2]), let sid = pid_t(fields[3]),
              let start = UInt64(fields[19]) else { return nil }
        return ProcStat(pid: pid, state: state, ppid: ppid, pgid: pgid, sid: sid, startTicks: start)
    }

    /// Every process of the system (numeric entries of /proc).
    public static func all() -> [ProcStat] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap { pid_t($0) }.compactMap { ProcStat.read($0) }
    }
}

/// What one test started, and what of it outlived its spawn. Tests get one through
/// `LeakLedger.$current` (the `.leakChecked` trait of their suite installs it); the process
/// runners register every child they start in it and call `collect(after:)` when it ends.
public final class LeakLedger: @unchecked Sendable {
    @TaskLocal public static var current: LeakLedger?

    /// The environment variable every spawn carries; its value is `token`.
    public static let environmentKey = "VPLAY_TEST_SPAWN"

    public let name: String
    /// Unique to this ledger in this run: the runner's pid and start, and a counter.
    public let token: String
    private let lock = NSLock()
    private var spawned: [Spawn] = []
    private var spawnCount = 0
    private var watched: [(pid: pid_t, start: UInt64)] = []
    private var found: [LeakedProcess] = []

    private static let counter = Counter()

    public init(name: String) {
        self.name = name
        let me = ProcStat.read(getpid())?.startTicks ?? 0
        token = "\(getpid()).\(me).\(LeakLedger.counter.next())"
    }

    /// The leaks found so far (each was killed when it was found).
    public var leaks: [LeakedProcess] { lock.withLock { found } }

    /// A spawn: its pid, start time, and the token in its environment.
    public struct Spawn: Sendable {
        public let pid: pid_t
        public let start: UInt64
        public let token: String
    }

    /// The environment value for the next spawn (pass it to `register`).
    public func nextSpawnToken() -> String {
        lock.withLock { spawnCount += 1; return "\(token).\(spawnCount)" }
    }

    /// Notes a child the harness started (right after posix_spawn, with the token it carries).
    public func register(spawn pid: pid_t, token: String) {
        let start = ProcStat.read(pid)?.startTicks ?? 0
        lock.withLock { spawned.append(Spawn(pid: pid, start: start, token: token)) }
    }

    private func spawns(_ pids: [pid_t]? = nil) -> [Spawn] {
        let all = lock.withLock { spawned }
        guard let pids else { return all }
        return all.filter { pids.contains($0.pid) }
    }

    /// Notes a process the test learned of (by pid) that must be gone when the test ends.
    public func watch(pid: pid_t) {
        guard let st = ProcStat.read(pid) else { return }
        lock.withLock { watched.append((pid, st.startTicks)) }
    }

    /// After spawn `pid` has ended (and was reaped): waits up to `grace` seconds for what it
    /// started to end on its own (a SIGKILLed shadow takes a moment), then records what is
    /// still alive as leaks, kills each by pid and waits until it is gone.
    /// `allowed`: the caller expects survivors (it ends them itself); they are killed, not recorded.
    @discardableResult
    public func collect(after pid: pid_t, grace: Double = 2, allowed: Bool = false) -> [LeakedProcess] {
        let deadline = Date().addingTimeInterval(grace)
        let mine = spawns([pid])
        var alive = survivors(of: mine)
        while !alive.isEmpty && Date() < deadline {
            usleep(20_000)
            alive = survivors(of: mine)
        }
        if !allowed { lock.withLock { found += alive } }
        end(alive.map(\.pid))
        return alive
    }

    /// At the end of the test: everything still tied to any spawn or watched pid is a leak.
    @discardableResult
    public func sweep(grace: Double = 2) -> [LeakedProcess] {
        let all = spawns()
        let check = { self.survivors(of: all, includingSpawns: true) + self.watchedAlive() }
        let deadline = Date().addingTimeInterval(grace)
        var alive = check()
        while !alive.isEmpty && Date() < deadline {
            usleep(20_000)
            alive = check()
        }
        lock.withLock { found += alive }
        end(alive.map(\.pid))
        return alive
    }

    /// Processes (not zombies, not the runner) tied to one of `spawns`, started after it.
    /// `includingSpawns`: a spawn that still runs is itself a leak (at the end of the test).
    public func survivors(of spawns: [Spawn], includingSpawns: Bool = false) -> [LeakedProcess] {
        let me = getpid()
        let table = ProcStat.all()
        let byPID = Dictionary(table.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        let bySpawn = Dictionary(spawns.map { ($0.pid, $0) }, uniquingKeysWith: { a, _ in a })
        var result: [LeakedProcess] = []
        for p in table where p.pid != me && p.state != "Z" && p.state != "X" {
            // Only what started after the spawn can be its (a reused pid cannot tie).
            let after = { (s: pid_t) -> Bool in bySpawn[s].map { p.startTicks >= $0.start } ?? false }
            var tie: (String, pid_t)?
            if let s = bySpawn[p.pid] {
                if includingSpawns && s.start == p.startTicks { tie = ("a spawn still running", p.pid) }
            } else if bySpawn[p.sid] != nil && after(p.sid) { tie = ("session \(p.sid)", p.sid) }
            else if bySpawn[p.pgid] != nil && after(p.pgid) { tie = ("group \(p.pgid)", p.pgid) }
            else if let a = ancestor(of: p, in: bySpawn, table: byPID) { tie = ("ancestor \(a)", a) }
            else if let s = spawnWithToken(p.pid, spawns) { tie = ("environment \(LeakLedger.environmentKey)", s) }
            if let tie {
                result.append(LeakedProcess(pid: p.pid, ppid: p.ppid, pgid: p.pgid, sid: p.sid, state: p.state,
                                            commandLine: commandLine(p.pid), tie: tie.0, spawn: tie.1))
            }
        }
        return result
    }

    private func watchedAlive() -> [LeakedProcess] {
        lock.withLock { watched }.compactMap { w in
            guard let st = ProcStat.read(w.pid), st.startTicks == w.start, st.state != "Z" else { return nil }
            return LeakedProcess(pid: w.pid, ppid: st.ppid, pgid: st.pgid, sid: st.sid, state: st.state,
                                 commandLine: commandLine(w.pid), tie: "watched", spawn: w.pid)
        }
    }

    private func ancestor(of p: ProcStat, in spawns: [pid_t: Spawn], table: [pid_t: ProcStat]) -> pid_t? {
        var cur = p.ppid
        for _ in 0..<64 {
            if let s = spawns[cur], table[cur]?.startTicks == s.start { return cur }
            guard cur > 1, let parent = table[cur] else { return nil }
            cur = parent.ppid
        }
        return nil
    }

    /// The spawn whose token is in the process's environment.
    private func spawnWithToken(_ pid: pid_t, _ spawns: [Spawn]) -> pid_t? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = Data("\(LeakLedger.environmentKey)=".utf8)
        guard let entry = data.split(separator: 0).first(where: { $0.starts(with: prefix) }) else { return nil }
        let value = String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        return spawns.first { $0.token == value }?.pid
    }

    private func commandLine(_ pid: pid_t) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "?" }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// SIGKILLs each pid (a stopped or traced process dies of SIGKILL too) and waits up to 5 s
    /// until none is left but zombies. Only these pids: nothing found by name.
    private func end(_ pids: [pid_t]) {
        guard !pids.isEmpty else { return }
        for pid in pids { kill(pid, SIGKILL) }
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            let living = pids.filter { pid in ProcStat.read(pid).map { $0.state != "Z" && $0.state != "X" } ?? false }
            if living.isEmpty { return }
            usleep(10_000)
        }
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.withLock { value += 1; return value } }
}

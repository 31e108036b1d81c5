// The BPF syscall logger: loads the programs built from CVPlayBPF/bpf into the kernel, hands
// them the syscall table's out-buffer rules, keeps the set of recorded processes, and drains
// the ring buffer on a thread of its own (never the ptrace thread), delivering decoded events.
// docs/recording-paths.md describes the design and what it costs.

import CVPlayBPF
import Foundation
import Glibc
import VPlayABI
import VPlaySyscalls

public enum SyscallLoggerError: Error, CustomStringConvertible, Equatable {
    /// The kernel has no BTF, which CO-RE programs need.
    case noBTF(path: String)
    /// The recorder runs in a PID namespace of its own: the programs see the host's pids, which
    /// it cannot name.
    case foreignPIDNamespace(inode: UInt64)
    /// bpf() refused (EPERM/EACCES): not root, or bpf is blocked here.
    case refused(step: String, errno: Int32, log: String)
    /// Loading, verifying or attaching failed for another reason.
    case failed(step: String, errno: Int32, log: String)
    /// The embedded object is missing or corrupt (a build problem).
    case badObject(String)
    /// A map update failed.
    case mapUpdate(map: String, key: UInt32, errno: Int32)
    /// The drain thread stopped on an error.
    case drain(String)

    public var description: String {
        switch self {
        case .noBTF(let path):
            return "the kernel has no BTF (\(path) is missing): the BPF logger needs CONFIG_DEBUG_INFO_BTF; record with the ptrace path instead"
        case .foreignPIDNamespace(let inode):
            return "the recorder is in a PID namespace of its own (pid:[\(inode)]), and the BPF programs log the host's pids: record from the host's PID namespace, or with the ptrace path"
        case .refused(let step, let errno, let log):
            return "bpf() refused while \(step) (\(errnoName(errno))): run as root (or with CAP_BPF and CAP_PERFMON), "
                + "outside a seccomp profile or lockdown that blocks bpf; or record with the ptrace path" + logSuffix(log)
        case .failed(let step, let errno, let log):
            return "BPF logger: \(step) failed (\(errnoName(errno)))" + logSuffix(log)
        case .badObject(let why):
            return "the embedded BPF object is unusable (\(why)); rebuild (scripts/build-bpf.sh runs during swift build)"
        case .mapUpdate(let map, let key, let errno):
            return "BPF map \(map): update of key \(key) failed (\(errnoName(errno)))"
        case .drain(let why):
            return "BPF ring-buffer drain stopped: \(why)"
        }
    }
}

private func errnoName(_ value: Int32) -> String { "errno \(value): \(String(cString: strerror(value)))" }
private func logSuffix(_ log: String) -> String {
    let text = log.trimmingCharacters(in: .whitespacesAndNewlines)
    return text.isEmpty ? "" : "\nlibbpf: " + text
}

/// Totals of the logger's per-CPU counters and the kernel's skipped runs.
public struct SyscallLoggerCounters: Sendable, Equatable {
    public let events: UInt64
    public let ringDrops: UInt64
    public let copyFailures: UInt64
    /// Program runs the kernel skipped because one was already running on that CPU.
    public let missedRuns: UInt64
}

public final class SyscallLogger: @unchecked Sendable {
    public static let btfPath = "/sys/kernel/btf/vmlinux"
    /// The initial PID namespace's inode (PROC_PID_INIT_INO).
    static let initialPIDNamespace: UInt64 = 0xEFFF_FFFC

    /// How long the drain waits between passes (the programs do not wake it, see emit() in
    /// syscalls.bpf.c). Short, so that a tracer's sync at a stop, which consumes what is left on
    /// the program's CPU, finds little.
    static let drainIntervalMilliseconds: Int32 = 2

    private let handle: OpaquePointer
    private var settings = vp_settings()
    private let lock = NSCondition()
    private var closed = false
    private var draining = false
    private var drainError: String?
    private var drainThread: Thread?
    private var deliver: (@Sendable ([SyscallEvent]) -> Void)?
    // Held while the ring is consumed and its events delivered, by the drain or by sync():
    // one consumer at a time, and deliveries in ring order.
    private let consuming = NSLock()
    // Written only inside the ring callback, under `consuming`.
    fileprivate var batch: [SyscallEvent] = []
    fileprivate var decodeError: String?

    /// Loads and attaches the programs and fills the rules from the syscall table. Nothing is
    /// logged until a tgid is recorded.
    public init() throws {
        guard access(Self.btfPath, R_OK) == 0 else { throw SyscallLoggerError.noBTF(path: Self.btfPath) }
        var ns = stat()
        if stat("/proc/self/ns/pid", &ns) == 0, UInt64(ns.st_ino) != Self.initialPIDNamespace {
            throw SyscallLoggerError.foreignPIDNamespace(inode: UInt64(ns.st_ino))
        }
        guard let object = Data(base64Encoded: bpfObjectBase64), !object.isEmpty else {
            throw SyscallLoggerError.badObject("the base64 text does not decode")
        }
        var log = [CChar](repeating: 0, count: 16384)
        var loaded: OpaquePointer?
        let rc = object.withUnsafeBytes { vp_bpf_load($0.baseAddress, $0.count, &loaded, &log, log.count) }
        guard rc == 0, let loaded else { throw Self.failure("loading the programs", -rc, log) }
        handle = loaded
        do {
            try fillRules()
            settings.frame_restore_nr = UInt32(SyscallNumber.rt_sigreturn)
            try writeSettings()
            let attached = vp_bpf_attach(handle, &log, log.count)
            guard attached == 0 else { throw Self.failure("attaching the programs", -attached, log) }
            let context = Unmanaged.passUnretained(self).toOpaque()
            let ring = vp_bpf_open_ring(handle, { context, data, size in
                guard let context, let data else { return 0 }
                let logger = Unmanaged<SyscallLogger>.fromOpaque(context).takeUnretainedValue()
                logger.receive(UnsafeRawBufferPointer(start: data, count: size))
                return 0
            }, context)
            guard ring == 0 else { throw Self.failure("opening the ring buffer", -ring, log) }
        } catch {
            vp_bpf_close(handle)
            throw error
        }
    }

    deinit { close() }

    private static func failure(_ step: String, _ errno: Int32, _ log: [CChar]) -> SyscallLoggerError {
        let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if errno == EPERM || errno == EACCES { return .refused(step: step, errno: errno, log: text) }
        return .failed(step: step, errno: errno, log: text)
    }

    private func fillRules() throws {
        for (number, rule) in SyscallTable.kernelWriteRules() where number < Int(VP_MAX_SYSCALLS) {
            // A rule vp_rule cannot hold stays zero: the BPF side marks its events undescribed.
            guard var encoded = RuleEncoding.encode(rule) else { continue }
            encoded.strings = SyscallTable.inputStringArgs(number).reduce(0) { $0 | (1 << UInt32($1)) }
            RuleEncoding.encodeStop(SyscallTable.tracerStop(number), into: &encoded)
            let rc = vp_bpf_set_rule(handle, UInt32(number), &encoded)
            guard rc == 0 else { throw SyscallLoggerError.mapUpdate(map: "rules", key: UInt32(number), errno: -rc) }
            guard case .byCommand(let commands) = rule else { continue }
            for (command, var out) in RuleEncoding.encodeCommands(commands) {
                let set = vp_bpf_set_command(handle, UInt32(number), command, &out)
                guard set == 0 else { throw SyscallLoggerError.mapUpdate(map: "commands", key: command, errno: -set) }
            }
        }
    }

    /// Sends `signal` to a thread whose event is truncated or whose copy failed, so that it
    /// stops before running user code again (flag `stopped`); 0: such events stay marked.
    public func stopIncompleteThreads(with signal: Int32) throws {
        settings.stop_signal = UInt32(signal)
        try writeSettings()
    }

    private func writeSettings() throws {
        let rc = vp_bpf_set_settings(handle, &settings)
        guard rc == 0 else { throw SyscallLoggerError.mapUpdate(map: "settings", key: 0, errno: -rc) }
    }

    // MARK: Recorded processes

    /// Logs every thread of `tgid` and of the processes it forks from now on.
    public func record(tgid: Int32) throws {
        let rc = vp_bpf_add_tgid(handle, UInt32(bitPattern: tgid))
        guard rc == 0 else { throw SyscallLoggerError.mapUpdate(map: "recorded", key: UInt32(bitPattern: tgid), errno: -rc) }
    }

    public func forget(tgid: Int32) throws {
        let rc = vp_bpf_remove_tgid(handle, UInt32(bitPattern: tgid))
        guard rc == 0 else { throw SyscallLoggerError.mapUpdate(map: "recorded", key: UInt32(bitPattern: tgid), errno: -rc) }
    }

    public func isRecorded(tgid: Int32) throws -> Bool {
        let rc = vp_bpf_is_recorded(handle, UInt32(bitPattern: tgid))
        guard rc >= 0 else { throw SyscallLoggerError.mapUpdate(map: "recorded", key: UInt32(bitPattern: tgid), errno: -rc) }
        return rc == 1
    }

    /// Switches into recorded threads so far: a tracer-stop marker's `switchesAtStop` that still
    /// equals it means no recorded thread ran since that stop.
    public var switches: UInt64 { vp_bpf_switches(handle) }

    // MARK: The drain

    /// Starts the drain thread; `deliver` gets each poll's events, in ring order (which is not
    /// sequence order across CPUs: sort by sequence). `cpu`: the CPU the drain runs on (not
    /// the recorded program's, so that decoding does not take its time).
    public func startDraining(cpu: Int32? = nil, _ deliver: @escaping @Sendable ([SyscallEvent]) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard !draining, !closed else { return }
        draining = true
        self.deliver = deliver
        // The thread holds the logger until close() ends it.
        let thread = Thread {
            if let cpu { _ = vp_bpf_pin_self(cpu) }
            self.drainLoop()
        }
        thread.name = "vplay-bpf-drain"
        drainThread = thread
        thread.start()
    }

    private func drainLoop() {
        while true {
            lock.lock()
            let stop = !draining
            lock.unlock()
            if stop { break }
            let waited = vp_bpf_wait(handle, Self.drainIntervalMilliseconds)
            let failure = waited < 0 && waited != -EINTR ? errnoName(-waited) : consume()
            if let failure {
                lock.lock()
                drainError = failure
                draining = false
                lock.unlock()
            }
        }
        lock.lock()
        drainThread = nil
        lock.broadcast()
        lock.unlock()
    }

    /// Consumes the ring and delivers its events; the failure, if any.
    private func consume() -> String? {
        consuming.lock()
        defer { consuming.unlock() }
        let rc = vp_bpf_consume(handle)
        let events = batch
        batch.removeAll(keepingCapacity: true)
        if !events.isEmpty { deliver?(events) }
        if let decodeError { return decodeError }
        return rc < 0 && rc != -EINTR ? errnoName(-rc) : nil
    }

    fileprivate func receive(_ record: UnsafeRawBufferPointer) {
        do { batch.append(try EventDecoding.decode(record)) } catch { decodeError = "\(error)" }
    }

    /// Returns when every event in the ring when it was called has been delivered. The caller
    /// consumes the ring itself (or waits for the drain's delivery in progress): at a ptrace
    /// stop every event of the stopped thread is already in the ring, so this is how the
    /// tracer gets them without waking the drain's CPU and waiting for it.
    public func sync() throws {
        lock.lock()
        let (running, earlier) = (draining, drainError)
        lock.unlock()
        if let earlier { throw SyscallLoggerError.drain(earlier) }
        guard running else { throw SyscallLoggerError.drain("the drain is not running") }
        if let failure = consume() {
            lock.lock()
            drainError = failure
            lock.unlock()
            throw SyscallLoggerError.drain(failure)
        }
    }

    public func counters() throws -> SyscallLoggerCounters {
        var sum = vp_counters()
        var missed: UInt64 = 0
        let rc = vp_bpf_counters(handle, &sum)
        guard rc == 0 else { throw SyscallLoggerError.failed(step: "reading the counters", errno: -rc, log: "") }
        let info = vp_bpf_missed_runs(handle, &missed)
        guard info == 0 else { throw SyscallLoggerError.failed(step: "reading the programs' info", errno: -info, log: "") }
        return SyscallLoggerCounters(events: sum.events, ringDrops: sum.ring_drops, copyFailures: sum.copy_failures,
                                     missedRuns: missed)
    }

    /// Stops the drain thread (waiting for it), detaches and unloads everything.
    public func close() {
        lock.lock()
        if closed { lock.unlock(); return }
        draining = false
        _ = vp_bpf_kick(handle)
        while drainThread != nil { lock.wait() }
        closed = true
        lock.unlock()
        vp_bpf_close(handle)
    }
}

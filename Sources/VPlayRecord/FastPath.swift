// The BPF recording path: the kernel logs the syscalls (VPlayBPF), ptrace resumes threads with
// PTRACE_CONT and stops only for events, signals, and the calls a seccomp filter sends to the
// tracer. docs/recording-paths.md, "The recorder on the BPF path".

import Foundation
import Glibc
import Logging
import CVPlay
import VPlayABI
import VPlayBPF
import VPlayBundle
import VPlayKernel
import VPlaySyscalls

/// Consecutive events of one process as the drain delivered them, with what the tracer must
/// know about them summed up by the drain thread (not the ptrace thread, which shares the
/// program's CPU): most chunks then go into the window without a look at each event.
struct EventChunk {
    var events: [SyscallEvent] = []
    /// The union of the events' flags.
    var flags: SyscallEvent.Flags = []
    /// Log bytes: the header and the copied bytes.
    var bytes = 0
    /// A set_tid_address is among them (the tracer tracks clear_child_tid).
    var setsTid = false
    /// A fork/clone is among them (a new task's first return is dropped).
    var createsTask = false
    /// A call interrupted to be restarted with restart_syscall is among them (ERESTART_RESTARTBLOCK).
    var restartsBlock = false
    /// Sequence numbers increase along `events`.
    var ordered = true
    /// Events that are not calls: preemptions and stop markers.
    var notCalls = 0

    mutating func append(_ e: SyscallEvent) {
        if let last = events.last, last.sequence > e.sequence { ordered = false }
        events.append(e)
        flags.formUnion(e.flags)
        bytes += 96 + e.copiedBytes
        if e.number == Int(SyscallNumber.set_tid_address) { setsTid = true }
        if Recorder.taskCreators.contains(Int32(e.number)) { createsTask = true }
        if e.result == RestartErrno.restartBlock { restartsBlock = true }
        if !e.flags.isDisjoint(with: [.preempted, .tracerStop]) { notCalls += 1 }
    }
}

/// Events the drain thread delivered, per tgid, until the ptrace thread takes them at a stop.
final class EventInbox: @unchecked Sendable {
    private let lock = NSLock()
    private var byProcess: [Int32: [EventChunk]] = [:]
    private var counts: [Int32: Int] = [:]

    /// Adds events; returns whether some process now has at least `limit` events waiting.
    @discardableResult
    func add(_ events: [SyscallEvent], limit: Int = .max) -> Bool {
        // Built in a local (appending through an array subscript would copy the events).
        var chunks: [(Int32, EventChunk)] = []
        var current = EventChunk()
        var tgid: Int32 = 0
        for e in events {
            if e.tgid != tgid, !current.events.isEmpty {
                chunks.append((tgid, current))
                current = EventChunk()
            }
            tgid = e.tgid
            current.append(e)
        }
        if !current.events.isEmpty { chunks.append((tgid, current)) }
        lock.lock()
        defer { lock.unlock() }
        var full = false
        for (tgid, chunk) in chunks {
            byProcess[tgid, default: []].append(chunk)
            counts[tgid, default: 0] += chunk.events.count
            if counts[tgid, default: 0] >= limit { full = true }
        }
        return full
    }

    /// How many events of `tgid` wait.
    func pending(_ tgid: Int32) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[tgid] ?? 0
    }

    private var rotationCheck = false

    /// A process reached the event limit while the tracer itself delivered.
    func noteRotationCheck() {
        lock.lock()
        rotationCheck = true
        lock.unlock()
    }

    /// Whether a rotation check was noted since the last call.
    func takeRotationCheck() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let due = rotationCheck
        rotationCheck = false
        return due
    }

    private var graveyard: [[KernelBatch]] = []

    /// Batches of a window that is gone: freed by the drain thread, not on the program's CPU.
    func bury(_ batches: [KernelBatch]) {
        guard !batches.isEmpty else { return }
        lock.lock()
        graveyard.append(batches)
        lock.unlock()
    }

    /// What `bury` was given, for the drain thread to let go.
    func exhume() -> [[KernelBatch]] {
        lock.lock()
        defer { lock.unlock() }
        let buried = graveyard
        graveyard = []
        return buried
    }

    /// Every event of `tgid` delivered so far, in chunks, in sequence order.
    func take(_ tgid: Int32) -> [EventChunk] {
        lock.lock()
        let chunks = byProcess.removeValue(forKey: tgid) ?? []
        counts.removeValue(forKey: tgid)
        lock.unlock()
        // Usually in order already (one CPU's records are): check before paying for a sort.
        let ordered = chunks.allSatisfy(\.ordered)
            && zip(chunks, chunks.dropFirst()).allSatisfy { ($0.events.last?.sequence ?? 0) < ($1.events.first?.sequence ?? .max) }
        if ordered { return chunks }
        var all = EventChunk()
        for e in chunks.flatMap(\.events).sorted(by: { $0.sequence < $1.sequence }) { all.append(e) }
        return [all]
    }
}

/// The loaded logger, its inbox and the refusal filter of one recording.
final class FastPath {
    let logger: SyscallLogger
    let inbox = EventInbox()
    let filter: [UInt8]

    /// Loads the logger and builds the filter; throws when BPF cannot be used here. The drain
    /// runs on another CPU than `programCPU` when there is one. When a process has
    /// `rotationEvents` events waiting, the drain interrupts the tracer (the calling thread,
    /// blocked in waitpid) so that a window starts: a window's log stays short enough to replay.
    init(programCPU: Int32?, rotationEvents: Int) throws {
        filter = try RefusalFilter.build()
        logger = try SyscallLogger()
        try logger.stopIncompleteThreads(with: SIGSTOP)
        let inbox = self.inbox
        let cpus = Int32(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let drainCPU = programCPU.flatMap { cpus > 1 ? ($0 + 1) % cpus : nil }
        let tracer = vp_gettid()
        _ = vp_prepare_wakeup()
        logger.startDraining(cpu: drainCPU) { events in
            let full = inbox.add(events, limit: rotationEvents)
            // The tracer delivers too, when it syncs at a stop: it cannot interrupt its own
            // waitpid, so it notes the check for before its next wait.
            guard vp_gettid() != tracer else {
                if full { inbox.noteRotationCheck() }
                return
            }
            if full { _ = vp_wake_thread(tracer) }
            _ = inbox.exhume()  // freed here, not on the program's CPU
        }
    }

    deinit { logger.close() }
}

extension Recorder {
    /// Loads the BPF logger when the options ask for it; nil (after one warning) when it
    /// cannot be used, and the ptrace path records.
    static func loadFastPath(_ options: RecordOptions, logger: Logger) -> FastPath? {
        guard options.path == .bpf else { return nil }
        do {
            return try FastPath(programCPU: options.cpu, rotationEvents: options.logCapSyscalls)
        } catch {
            // One line: libbpf's own log (the verifier's, several lines) only when it explains a failure.
            let why: String
            switch error {
            case SyscallLoggerError.refused(let step, let errno, _):
                why = "bpf() refused while \(step) (errno \(errno)): not root, or bpf is blocked here"
            default:
                why = "\(error)"
            }
            logger.warning("the BPF path cannot be used, recording with the ptrace path: \(why)")
            return nil
        }
    }

    /// At a stop of `thread`: the kernel's events of its process up to now go into the current
    /// window (sync first: every event of the stopped thread is in the ring by now), before
    /// anything the stop itself logs. The calls the tracer handles itself are not taken twice.
    func absorbEvents(_ process: TracedProcess) {
        guard let fast, process.fastPath else { return }
        do {
            try fast.logger.sync()
        } catch {
            markUnverifiable(process, "the BPF logger could not be drained: \(error)")
        }
        let chunks = fast.inbox.take(process.pid)
        // Threads inside a call the tracer handles (rarely any): their events are that call's.
        let owning = Set(process.threads.filter { threads[$0]?.currentSyscall != nil })
        let special: SyscallEvent.Flags = [.stopped, .copyFailed, .truncated, .dropsBefore,
                                           .needsTracer, .unsupported, .undescribed, .preempted, .tracerStop]
        var kept: [EventChunk] = []
        kept.reserveCapacity(chunks.count)
        for chunk in chunks {
            if owning.isEmpty, !chunk.setsTid, !chunk.createsTask, !chunk.restartsBlock, chunk.flags.isDisjoint(with: special) {
                kept.append(chunk)  // nothing to look at: the usual case
            } else {
                kept.append(examine(chunk, process, owning: owning))
            }
        }
        absorb(kept, into: process)
    }

    /// The events of a chunk one by one: stops to expect, bytes to fetch, clear_child_tid,
    /// events the tracer logs itself, and what makes the window unverifiable.
    func examine(_ chunk: EventChunk, _ process: TracedProcess, owning: Set<Int32>) -> EventChunk {
        let problems: SyscallEvent.Flags = [.copyFailed, .truncated, .dropsBefore, .needsTracer, .unsupported, .undescribed]
        var out = EventChunk()
        for incoming in chunk.events {
            // Where a thread stopped for the tracer: not a log event (and any thread's).
            if incoming.flags.contains(.tracerStop) {
                threads[incoming.tid]?.stopSequence = incoming.sequence
                threads[incoming.tid]?.stopSwitches = incoming.switchesAtStop
                if process.current != nil, incoming.flags.contains(.dropsBefore) {
                    markUnverifiable(process, "the BPF logger lost events: replay may diverge")
                }
                continue
            }
            // In a call the tracer handles, every event of the thread is that call's (its number
            // may be gone by the exit: rt_sigreturn restores orig_rax -1).
            // Whichever thread stopped: another's event can be here before that one's exit stop.
            if !owning.isEmpty, owning.contains(incoming.tid) { continue }
            if incoming.flags.contains(.preempted) {
                if process.current != nil, incoming.preemptedRegisters == nil || incoming.flags.contains(.dropsBefore) {
                    markUnverifiable(process, "the BPF logger lost events or could not read the registers of a preempted thread: replay may diverge")
                }
                out.append(incoming)
                continue
            }
            if Recorder.isNewTaskReturn(incoming) { continue }  // a new task's first return: ptrace never logs it
            noteRestartBlock(incoming)
            let event = completeStopped(incoming, process)
            if event.number == Int(SyscallNumber.set_tid_address), let t = threads[event.tid] {
                t.clearChildTid = event.firstArg == 0 ? nil : event.firstArg
            }
            // A call that failed with ENOSYS did nothing, whatever the logger knows of it; a
            // failed call the table cannot capture wrote nothing (the table says so).
            let failedUnsupported = event.flags.contains(.unsupported) && (-4095 ... -1).contains(event.result)
            if process.current != nil, !event.flags.isDisjoint(with: problems), event.result != -Errno.ENOSYS, !failedUnsupported {
                markUnverifiable(process, "the BPF logger could not log \(SyscallTable.name(event.number)) completely "
                                 + "\(event.flags.intersection(problems)): replay may diverge")
            }
            out.append(event)
        }
        return out
    }

    /// A call interrupted to continue as restart_syscall (a restart_syscall interrupted again
    /// still continues the first call).
    func noteRestartBlock(_ e: SyscallEvent) {
        guard e.result == RestartErrno.restartBlock, e.number != Int(SyscallNumber.restart_syscall) else { return }
        threads[e.tid]?.restartBlock = (Int32(e.number), e.args)
    }

    static let taskCreators: Set<Int32> = [SyscallNumber.clone, SyscallNumber.clone3, SyscallNumber.fork, SyscallNumber.vfork]

    /// The child's side of a fork/clone (it returns 0 in the new task).
    static func isNewTaskReturn(_ event: SyscallEvent) -> Bool {
        taskCreators.contains(Int32(event.number)) && event.result == 0
    }

    /// A `stopped` event with the bytes the tracer read, as the ptrace path reads them (the
    /// table's regions, a file mapping's contents): its thread has not run user code since the
    /// call (it stops first), so memory holds what the kernel wrote. Unchanged if reading fails.
    func completeStopped(_ event: SyscallEvent, _ process: TracedProcess) -> SyscallEvent {
        guard event.flags.contains(.stopped), let memory = try? process.memoryAccess() else { return event }
        var number = Int32(event.number), args = event.args
        // restart_syscall writes what the call it continues writes.
        if number == SyscallNumber.restart_syscall, let interrupted = threads[event.tid]?.restartBlock {
            (number, args) = interrupted
        }
        guard let writes = try? tableWrites(memory, number: number, args: args, result: event.result) else { return event }
        let extra = mappingWrites(process, memory, number: number, args: args, result: event.result)
        return event.completed(with: (writes + extra).map {
            .init(address: $0.address, length: $0.bytes.count, bytes: $0.bytes, copyError: 0)
        })
    }

    /// Kept as they came: turned into log events only when a capture needs the log.
    func absorb(_ chunks: [EventChunk], into process: TracedProcess) {
        guard let window = process.current else { return }
        let chunks = chunks.filter { !$0.events.isEmpty }
        guard !chunks.isEmpty else { return }
        window.kernelBatches.append(KernelBatch(position: window.log.count, time: now(window), chunks: chunks))
        window.logBytes += chunks.reduce(0) { $0 + $1.bytes }
        window.syscalls += chunks.reduce(0) { $0 + $1.events.count - $1.notCalls }
    }

    /// The events of the window start's own injected calls (and of a shadow it cloned) are not
    /// the program's: drop them, and stop logging the shadow.
    func discardInjectedEvents(_ process: TracedProcess, shadow: Int32?) {
        guard let fast, process.fastPath else { return }
        if (try? fast.logger.sync()) == nil { markUnverifiable(process, "the BPF logger could not be drained at a window start") }
        // A thread the window start interrupted in a call continues it as restart_syscall.
        for chunk in fast.inbox.take(process.pid) where chunk.restartsBlock {
            chunk.events.forEach(noteRestartBlock)
        }
        if let shadow {
            try? fast.logger.forget(tgid: shadow)
            _ = fast.inbox.take(shadow)
        }
    }

    /// A window is dropped: its kernel events are freed on the drain's CPU.
    func bury(_ window: Window) {
        fast?.inbox.bury(window.kernelBatches)
        window.kernelBatches = []
    }

    /// Whether a recorded thread was switched in since `thread` stopped for the tracer (its
    /// stop's marker holds the logger's switch count then): the other threads of a process run
    /// on while the tracer handles a stop, so memory may no longer be what it was at the stop.
    func othersRanSinceStop(_ thread: TracedThread, _ process: TracedProcess) -> Bool {
        guard let fast, process.fastPath, let atStop = thread.stopSwitches else { return false }
        return fast.logger.switches != atStop
    }

    /// The window's log misses something: the bundle cannot be verified.
    func markUnverifiable(_ process: TracedProcess, _ reason: String) {
        warn(process, reason)
        if let window = process.current, !window.unverifiable.contains(reason) { window.unverifiable.append(reason) }
    }

    /// Lost events the flags of no event report (the ring was full, a program run was skipped).
    func loggerLosses() -> [String] {
        guard let fast else { return [] }
        guard let c = try? fast.logger.counters() else { return ["the BPF logger's counters could not be read"] }
        var reasons: [String] = []
        if c.ringDrops > 0 { reasons.append("the BPF ring buffer overflowed (\(c.ringDrops) events lost)") }
        if c.missedRuns > 0 { reasons.append("the kernel skipped \(c.missedRuns) runs of the BPF logger's programs") }
        return reasons
    }

    /// Installs the refusal filter (rseq) into `thread`'s process with an injected seccomp()
    /// call, at its exec window start. When that fails the process is recorded on the ptrace path.
    func installRefusalFilter(_ process: TracedProcess, _ thread: TracedThread) throws {
        guard let fast, process.fastPath, !process.hasRefusalFilter else { return }
        let memory = try process.memoryAccess()
        if process.syscallInstruction == nil {
            process.syscallInstruction = try VDSOPatcher.patch(pid: process.pid, memory: memory, maps: try ProcFS.maps(process.pid))
        }
        guard let syscallInstruction = process.syscallInstruction else { return fallBackToPtrace(process, "no syscall instruction") }
        let caller = try RemoteCaller(Tracee(thread.tid), syscallInstruction: syscallInstruction, atEntryStop: false)
        let size = (16 + fast.filter.count + 4095) & ~4095
        let page = try caller.call(SyscallNumber.mmap, [0, UInt64(size), 3, 0x22, UInt64(bitPattern: -1), 0])
        var installed: Int64 = -Int64(ENOMEM)
        if page > 0 {
            let base = UInt64(page)
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var fprog = [UInt8](repeating: 0, count: 16)
            let count = UInt16(fast.filter.count / 8)
            fprog[0] = UInt8(count & 0xff)
            fprog[1] = UInt8(count >> 8)
            withUnsafeBytes(of: (base + 16).littleEndian) { fprog.replaceSubrange(8..<16, with: $0) }
            do {
                try memory.write(base, fprog + fast.filter)
                installed = try caller.call(SyscallNumber.seccomp, [1, 0, base])  // SECCOMP_SET_MODE_FILTER
            } catch {
                installed = -Int64(EIO)
            }
            try caller.call(SyscallNumber.munmap, [base, UInt64(size)])
        }
        try caller.finish(reissue: false)
        if installed == 0 {
            process.hasRefusalFilter = true
        } else {
            fallBackToPtrace(process, "seccomp() of the refusal filter failed (errno \(-installed))")
        }
    }

    func fallBackToPtrace(_ process: TracedProcess, _ why: String) {
        logger.warning("process \(process.pid): \(why); it is recorded with the ptrace path")
        process.fastPath = false
        try? fast?.logger.forget(tgid: process.pid)
        _ = fast?.inbox.take(process.pid)
    }
}

/// Events of the BPF logger absorbed when the window's log had `position` events, timed at `time`.
struct KernelBatch {
    let position: Int
    let time: UInt64
    let chunks: [EventChunk]

    /// The counter of the batch's first event.
    var firstSequence: UInt64? { chunks.first?.events.first?.sequence }
    /// The highest counter among its events.
    var lastSequence: UInt64 { chunks.lazy.flatMap(\.events).map(\.sequence).max() ?? 0 }

    /// The log events the tracer would have written, keyed by the logger's counter: each call's
    /// exit at its own, its entry at the entry's (a blocking call's entry comes before what other
    /// threads did while it waited; nothing goes before `floor`), a preemption at its own.
    /// Input strings are cut at VP_STRING_CAP bytes (the tracer's at 4096).
    func keyedEvents(floor: UInt64, into keyed: inout [KeyedEvent]) {
        for e in chunks.lazy.flatMap(\.events) {
            if e.flags.contains(.preempted) {
                if let registers = e.preemptedRegisters {
                    if let stack = e.preemptedStack {
                        // The stack near sp tells this pass from others at the same registers
                        // (a loop whose counter lives in memory); CPU time 0: not measured.
                        keyed.append(KeyedEvent(key: 2 * e.sequence, order: keyed.count,
                                                event: .asyncPoint(tid: e.tid, time: time, cpuNanos: 0,
                                                                   ranges: [stack.address, UInt64(stack.bytes.count)],
                                                                   fingerprint: memoryFingerprint(of: stack.bytes))))
                    }
                    keyed.append(KeyedEvent(key: 2 * e.sequence, order: keyed.count,
                                            event: .preemption(tid: e.tid, time: time, registers: registers)))
                }
                continue
            }
            let number = Int32(e.number)
            let strings = SyscallTable.inputStringArgs(e.number).filter { $0 < 6 }.map { e.inputString(arg: $0) }
            keyed.append(KeyedEvent(key: 2 * max(e.entrySequence, floor), order: keyed.count,
                                    event: .syscallEntry(tid: e.tid, time: time, number: number, args: e.args, strings: strings)))
            let writes = e.written.filter { !$0.bytes.isEmpty }.map { MemoryWrite(address: $0.address, bytes: $0.bytes) }
            keyed.append(KeyedEvent(key: 2 * e.sequence, order: keyed.count,
                                    event: .syscallExit(tid: e.tid, time: time, number: number, result: e.result, writes: writes)))
        }
    }
}

/// A log event with where it goes: by `key`, then in the order it was added.
struct KeyedEvent {
    let key: UInt64
    let order: Int
    let event: LogEvent
}

extension Window {
    /// The log with the kernel's batches merged in, in the order things happened: the kernel's
    /// events by the logger's counter, each event the tracer logged itself at its stop's marker
    /// (or, without one, after every kernel event drained before it). A call's entry can lie batches before its exit (the thread
    /// blocked while others went on): it goes where it began, and takes the time of what follows
    /// it there, so that times never go backwards.
    func fullLog() -> [LogEvent] {
        guard let floor = kernelBatches.lazy.compactMap(\.firstSequence).first else { return log }
        var keyed: [KeyedEvent] = []
        keyed.reserveCapacity(log.count + kernelBatches.reduce(0) { $0 + $1.chunks.reduce(0) { $0 + 2 * $1.events.count } })
        var next = 0
        var drained: UInt64 = 0
        // At its stop's marker when it has one: the tracer may have drained later events first.
        func tracerEvents(_ range: Range<Int>) {
            for i in range {
                let key = stopSequences[i].map { 2 * $0 + 1 } ?? 2 * drained + 1
                keyed.append(KeyedEvent(key: key, order: keyed.count, event: log[i]))
            }
        }
        for batch in kernelBatches {
            tracerEvents(next..<batch.position)
            batch.keyedEvents(floor: floor, into: &keyed)
            drained = max(drained, batch.lastSequence)
            next = batch.position
        }
        tracerEvents(next..<log.count)
        keyed.sort { ($0.key, $0.order) < ($1.key, $1.order) }
        var out = keyed.map(\.event)
        var limit = UInt64.max
        for i in out.indices.reversed() {
            if out[i].time > limit { out[i] = out[i].at(time: limit) }
            limit = out[i].time
        }
        return out
    }
}

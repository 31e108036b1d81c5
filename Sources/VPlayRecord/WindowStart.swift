import CVPlay
import Foundation
import Glibc
import VPlayBundle
import VPlayKernel

extension Recorder {
    /// Starts a new window for `process`: stops its threads, saves their registers, queries
    /// signal dispositions and the break, and takes a copy-on-write shadow of the memory.
    /// `trigger` is stopped (at a syscall entry when `atEntry`; its call is then re-issued).
    /// Returns false when the process cannot be snapshotted right now (try again later).
    func startWindow(_ process: TracedProcess, trigger: TracedThread, atEntry: Bool, reason: String) throws -> Bool {
        let began = monotonicNanos()
        let others = try stopOtherThreads(process, except: trigger.tid)
        // Every thread is stopped: what the kernel logged so far belongs to the old window.
        absorbEvents(process)
        // A thread inside fork/clone/exec has no clean restart point: postpone.
        for (_, status) in others {
            if case .event(let ev, _) = status, ev != .stop { return false }
        }
        let memory = try process.memoryAccess()
        if process.syscallInstruction == nil {
            process.syscallInstruction = try VDSOPatcher.patch(pid: process.pid, memory: memory,
                                                              maps: try ProcFS.maps(process.pid))
        }
        guard let syscallInstruction = process.syscallInstruction else { return false }
        let caller = try RemoteCaller(Tracee(trigger.tid), syscallInstruction: syscallInstruction, atEntryStop: atEntry)
        var state: ProcessState
        var shadow: Int32?
        var shadowLocal: Int32?
        var shared: SharedCopy?
        var scratch: Scratch?
        do {
            if reason != "rotation" {
                // PR_SET_TSC(PR_TSC_SIGSEGV): rdtsc traps so the recorder can log its value.
                if options.trapTimestampCounter {
                    try caller.call(SyscallNumber.prctl, [26, 2])
                } else {
                    warn(process, "rdtsc was not trapped (--no-trap-rdtsc): replay diverges where the program read the time stamp counter")
                }
            }
            if let old = process.previous?.shadow {
                killShadow(old)
                let local = process.previous?.shadowLocalPid ?? old
                try caller.call(SyscallNumber.wait4, [UInt64(local), 0, UInt64(0x40000000 | 1), 0])  // __WALL|WNOHANG
            }
            let brk = UInt64(bitPattern: try caller.call(SyscallNumber.brk, [0]))
            let mappings = try ProcFS.maps(process.pid)
            let words = try Scratch(caller, mappings: mappings)
            scratch = words
            let actions = try querySignalActions(process, caller: caller, memory: memory, scratch: words.address)
            let altStack = try queryAltStack(caller: caller, memory: memory, scratch: words.address)
            (shadow, shadowLocal) = try takeShadow(caller, scratch: words.address)
            shared = SharedCopy.take(pid: process.pid, memory: memory, mappings: mappings)
            if let shadow, let shared {
                try releaseSharedMappings(shadow: shadow, copy: shared, syscallInstruction: caller.syscallInstruction)
            }
            try words.release(caller)
            scratch = nil
            // The trigger's window-start registers are the ones it resumes with.
            let triggerRegs = try caller.finish(reissue: atEntry)
            var first = try snapshot(trigger.tid, pid: process.pid, registers: triggerRegs)
            first.altStack = altStack
            var snapshots = [first]
            for (tid, status) in others where !status.isTerminal {
                snapshots.append(try snapshot(tid, pid: process.pid, registers: try t0Registers(tid, status)))
            }
            state = ProcessState(brk: brk, signalActions: actions, threads: snapshots,
                                 mappings: mappings, stackLimit: ProcFS.stackLimit(process.pid))
        } catch {
            try? scratch?.release(caller)
            _ = try? caller.finish(reissue: atEntry)
            discardInjectedEvents(process, shadow: shadow)
            if let s = shadow { killShadow(s) }
            throw error
        }
        discardInjectedEvents(process, shadow: shadow)
        if let old = process.previous { bury(old) }
        process.previous = process.current
        let window = Window(startNanos: monotonicNanos(), reason: reason, shadow: shadow, state: state)
        window.shadowLocalPid = shadowLocal
        window.shared = shared
        window.snapshotSeconds = Double(monotonicNanos() &- began) / 1e9
        process.current = window
        // Threads caught at a syscall exit re-enter that call at window start; log its entry first.
        for (tid, status) in others where status == .syscallStop {
            if (try? Tracee(tid).syscallStopKind()) == .exit, let entry = threads[tid]?.lastEntry,
               case .syscallEntry(let t, _, let n, let a, let s) = entry {
                window.log.append(.syscallEntry(tid: t, time: 0, number: n, args: a, strings: s))
                window.syntheticPrefix += 1
            }
        }
        return true
    }

    /// Interrupts every running thread of the process but `except`; their stops are queued to be
    /// handled as usual after the window starts.
    func stopOtherThreads(_ process: TracedProcess, except: Int32) throws -> [(Int32, WaitStatus)] {
        var stopped: [(Int32, WaitStatus)] = []
        for tid in process.threads where tid != except {
            guard let t = threads[tid] else { continue }
            if t.isRunning {
                try? Tracee(tid).interrupt()
                guard let w = try waitForTask(tid) else { continue }
                t.lifecycle = .stopped
                deferred.append((tid, w.status))
                stopped.append((tid, w.status))
            } else if let queued = deferred.first(where: { $0.0 == tid }) {
                stopped.append(queued)
            }
        }
        return stopped
    }

    /// Window-start registers of a thread held at `status`: a thread inside a syscall starts at
    /// the syscall instruction so that replay re-enters the call.
    func t0Registers(_ tid: Int32, _ status: WaitStatus) throws -> Registers {
        let tracee = Tracee(tid)
        let regs = try tracee.registers()
        switch status {
        case .syscallStop: return RestartErrno.reissued(regs)
        case .event(.stop, _): return RestartErrno.restartedIfInterrupted(regs)
        default: return regs
        }
    }

    func snapshot(_ tid: Int32, pid: Int32, registers: Registers) throws -> ThreadSnapshot {
        let status = try ProcFS.status("/proc/\(pid)/task/\(tid)/status")
        return ThreadSnapshot(tid: tid, registers: registers, xstate: try Tracee(tid).xstate(),
                              signalMask: ProcFS.hexField(status, "SigBlk"), clearChildTid: threads[tid]?.clearChildTid)
    }

    /// Dispositions of every caught or ignored signal, read with injected rt_sigaction calls.
    func querySignalActions(_ process: TracedProcess, caller: RemoteCaller, memory: ProcessMemory,
                            scratch: UInt64) throws -> [SignalAction] {
        let status = try ProcFS.status("/proc/\(process.pid)/status")
        let interesting = ProcFS.hexField(status, "SigCgt") | ProcFS.hexField(status, "SigIgn")
        var actions: [SignalAction] = []
        for sig in 1...64 where interesting & (1 << UInt64(sig - 1)) != 0 && sig != SIGKILL && sig != SIGSTOP {
            let r = try caller.call(SyscallNumber.rt_sigaction, [UInt64(sig), 0, scratch, 8])
            guard r == 0 else { continue }
            let raw = try memory.read(scratch, count: 32)
            let words = (0..<4).map { i in raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) } }
            actions.append(SignalAction(signal: Int32(sig), handler: words[0], flags: words[1], restorer: words[2], mask: words[3]))
        }
        return actions
    }

    /// The calling thread's alternate signal stack, read with an injected sigaltstack(NULL, &old).
    /// Only the thread that starts the window is asked (the others are held at stops where an
    /// injected call would disturb the syscall they are in).
    func queryAltStack(caller: RemoteCaller, memory: ProcessMemory, scratch: UInt64) throws -> AltStack? {
        guard try caller.call(SyscallNumber.sigaltstack, [0, scratch]) == 0 else { return nil }
        let raw = try memory.read(scratch, count: 24)
        let base = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
        let flags = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
        let size = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) }
        return AltStack(base: base, flags: flags, size: size)
    }

    /// clone(flags 0, exit_signal 0): a stopped copy-on-write image of memory as it is now.
    /// Not CLONE_FILES: a shared descriptor table would outlive the program in the shadow and
    /// keep its pipes, sockets and listening sockets open (a crashed server's clients would
    /// connect and block). The shadow gets its own copy, which `parkShadow` closes.
    /// Returns the shadow's pid as the tracer sees it and as its parent sees it.
    func takeShadow(_ caller: RemoteCaller, scratch: UInt64) throws -> (Int32, Int32) {
        let r = try caller.call(SyscallNumber.clone, [0, 0, 0, 0, 0])
        guard r > 0 else { throw KernelError("injected clone (window snapshot)", pid: caller.tracee.tid, errno: Int32(-r)) }
        // clone returns the pid in the tracee's namespace; the clone event has ours.
        guard let shadow = caller.newChildren.last else { throw TraceError("injected clone in \(caller.tracee.tid) reported no child") }
        logger.debug("shadow \(shadow) of \(caller.tracee.tid)")
        shadows.insert(shadow)
        // Its first stop: it stays stopped until killed.
        if earlyStops.removeValue(forKey: shadow) == nil {
            while let w = try waitForTask(shadow) {
                if w.status.isTerminal { shadows.remove(shadow); break }
                if case .event(.stop, _) = w.status { break }
                if case .signalStop = w.status { break }
            }
        }
        do {
            try parkShadow(shadow, syscallInstruction: caller.syscallInstruction, scratch: scratch)
        } catch {
            // A half-made shadow must not stay stopped (its parent could never reap it, and
            // the recorder would wait for it): end it here.
            killShadow(shadow)
            throw error
        }
        return (shadow, Int32(r))
    }

    /// A shadow holds nothing but memory, and nothing of vplay's outlives it: its descriptors
    /// are closed, and PTRACE_O_EXITKILL (on shadows only, never on the program's tasks) kills
    /// it should the recorder die. Should a tracee still leave its stop, it would run the
    /// program a second time: it is parked in pause() with every signal blocked, so that it
    /// only waits for SIGKILL. Its memory stays as it was (the scratch words are below the
    /// stack pointer, dead in the program and already used by the window start).
    func parkShadow(_ shadow: Int32, syscallInstruction: UInt64, scratch: UInt64) throws {
        try Tracee(shadow).setOptions(Recorder.traceOptions.union(.exitKill))
        let memory = try ProcessMemory(pid: shadow)
        try memory.write(scratch, [UInt8](repeating: 0xff, count: 8))
        let caller = try RemoteCaller(Tracee(shadow), syscallInstruction: syscallInstruction, atEntryStop: false)
        let closed = try caller.call(SyscallNumber.close_range, [0, UInt64(UInt32.max), 0])
        guard closed == 0 else {
            throw KernelError("injected close_range in shadow", pid: shadow, errno: Int32(-closed))
        }
        try caller.call(SyscallNumber.rt_sigprocmask, [2, scratch, 0, 8])
        var parked = caller.original
        parked.rip = syscallInstruction
        parked.rax = 34  // pause
        parked.origRax = UInt64(bitPattern: -1)
        try Tracee(shadow).setRegisters(parked)
    }
}

import CVPlay
import Foundation
import Glibc
import Logging
import VPlayABI
import VPlayBundle
import VPlayKernel
import VPlayReplay
import VPlaySyscalls

/// Records a command and every process it starts; writes a bundle for each abnormal end.
/// A synchronous loop on one thread: ptrace requires every request for a tracee to come from
/// the thread that attached it (docs/architecture.md).
public final class Recorder {
    let options: RecordOptions
    let logger: Logger
    var threads: [Int32: TracedThread] = [:]
    var processes: [Int32: TracedProcess] = [:]
    var shadows: Set<Int32> = []
    /// Stops taken from waitpid out of turn (while stopping threads for a window) to handle next.
    var deferred: [(Int32, WaitStatus)] = []
    /// First stops of new tasks that arrived before their parent's fork/clone event.
    var earlyStops: [Int32: WaitStatus] = [:]
    var rootPid: Int32 = 0
    var rootStatus: Int32?
    /// The BPF path's logger and refusal filter (nil: the ptrace path records).
    var fast: FastPath?
    /// BPF path: where in the logger's order the stop being handled happened (its thread's
    /// stop marker); what the tracer logs while handling it goes there.
    var currentStopSequence: UInt64?
    public private(set) var written: [WrittenBundle] = []
    /// Called with each bundle path as soon as it is written.
    public var onBundle: ((WrittenBundle) -> Void)?

    static let groupStopSignals: Set<Int32> = [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]
    static let traceOptions: PtraceOptions = [.traceSysGood, .traceFork, .traceVfork, .traceClone, .traceExec, .traceExit]

    public init(options: RecordOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs the command to its end. Returns its wait status as a shell reports it
    /// (exit code, or 128+N when killed by signal N).
    public func run() throws -> Int32 {
        guard let first = options.command.first else { throw TraceError("no command given") }
        try ProcFS.requireOwnPIDNamespace()
        guard let resolved = Recorder.resolveExecutable(first) else {
            throw TraceError("\(first): command not found")
        }
        if let cpu = options.cpu { _ = vp_pin_cpu(0, cpu) }
        _ = vp_set_child_subreaper()
        var gate: [Int32] = [0, 0]
        guard pipe(&gate) == 0 else { throw KernelError("pipe", pid: getpid(), errno: vp_errno()) }
        var argv = options.command
        argv[0] = resolved
        let pid = withCStringArray(argv) { vp_spawn_gated($0, gate[0], gate[1], options.cpu ?? -1) }
        close(gate[0])
        guard pid > 0 else {
            close(gate[1])
            throw KernelError("fork", pid: getpid(), errno: -pid)
        }
        rootPid = pid
        fast = Recorder.loadFastPath(options, logger: logger)
        do {
            try Tracee.seize(pid, options: Recorder.traceOptions)
            // Logged from its exec on: registered while it waits on the gate.
            try fast?.logger.record(tgid: pid)
        } catch {
            kill(pid, SIGKILL)
            close(gate[1])
            _ = try? waitForTask(pid)
            throw error
        }
        let process = TracedProcess(pid: pid, program: resolved, argv: options.command)
        process.awaitingExecWindow = true
        process.fastPath = fast != nil
        processes[pid] = process
        let thread = TracedThread(tid: pid, pid: pid, lifecycle: .running)
        threads[pid] = thread
        process.threads = [pid]
        close(gate[1])  // lets the child exec
        try loop()
        return rootStatus ?? 0
    }

    /// Attaches to a running process (an OCI runtime's container init) and records it from its
    /// next exec on, with everything it starts, until all of it has ended. `attached` is called
    /// once every thread is seized. Returns the process's exit status as a shell reports it.
    public func attach(pid: Int32, attached: () -> Void) throws -> Int32 {
        try ProcFS.requireOwnPIDNamespace()
        if let cpu = options.cpu { _ = vp_pin_cpu(0, cpu) }
        rootPid = pid
        let process = TracedProcess(pid: pid, program: ProcFS.executable(pid), argv: ProcFS.commandLine(pid))
        process.awaitingExecWindow = true
        processes[pid] = process
        // Logged from its next exec on, where the first window starts and the refusal filter goes in.
        fast = Recorder.loadFastPath(options, logger: logger)
        if let fast {
            do {
                try fast.logger.record(tgid: pid)
                process.fastPath = true
            } catch {
                logger.warning("the BPF path cannot record process \(pid), recording with the ptrace path: \(error)")
                self.fast = nil
            }
        }
        // Threads may appear while we seize: list again until every one is ours.
        var seized: Set<Int32> = []
        for _ in 0..<50 {
            let tids = Set(ProcFS.threadIDs(pid)).subtracting(seized)
            if tids.isEmpty { break }
            for tid in tids.sorted() {
                do {
                    try Tracee.seize(tid, options: Recorder.traceOptions)
                } catch let e as KernelError where e.errno == ESRCH {
                    continue  // it exited meanwhile
                }
                seized.insert(tid)
                if let cpu = options.cpu { _ = vp_pin_cpu(tid, cpu) }
                let thread = TracedThread(tid: tid, pid: pid, lifecycle: .running)
                thread.syscallStateKnown = false
                threads[tid] = thread
                process.threads.append(tid)
            }
        }
        guard !seized.isEmpty else { throw TraceError("process \(pid) has no threads to attach to") }
        attached()
        try loop()
        return rootStatus ?? 0
    }

    static func resolveExecutable(_ name: String) -> String? {
        if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
        let path = Foundation.ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    func loop() throws {
        while true {
            let next: (Int32, WaitStatus)
            if !deferred.isEmpty {
                next = deferred.removeFirst()
            } else {
                switch try waitForNextStop() {
                case .stop(let tid, let status): next = (tid, status)
                case .timeToRotate:
                    requestOverdueRotations()
                    continue
                case .noTasks: return
                }
            }
            do {
                try handle(tid: next.0, status: next.1)
            } catch {
                // A tracee that vanished mid-request (SIGKILL, exit) is normal; anything else is
                // logged and the task let go so that the program keeps running.
                logger.warning("recording of task \(next.0) hit an error: \(error)")
                if let t = threads[next.0], !t.isRunning, (try? Tracee(next.0).resumeSyscall()) != nil {
                    t.lifecycle = .running
                }
            }
        }
    }

    func handle(tid: Int32, status: WaitStatus) throws {
        logger.trace("task \(tid): \(status)")
        if shadows.contains(tid) {
            // Shadows stay stopped until killed. Killed by someone else (a PID namespace's init
            // exiting kills everything in it, and waits), one must be let through its exit stop.
            if status.isTerminal { shadows.remove(tid) }
            if case .event(.exit, _) = status { try? Tracee(tid).resume() }
            return
        }
        guard let thread = threads[tid] else {
            if !status.isTerminal { earlyStops[tid] = status }
            return
        }
        if thread.lifecycle != .awaitingFirstStop { thread.lifecycle = .stopped }
        // The stop's marker may have come with another thread's stop: it stays until the resume.
        if !status.isTerminal, let process = processes[thread.pid] { absorbEvents(process) }
        currentStopSequence = thread.stopSequence
        logger.trace("stop of \(tid) (\(status)) at logger counter \(thread.stopSequence.map(String.init) ?? "unknown")")
        defer { currentStopSequence = nil }
        let tracee = Tracee(tid)
        switch status {
        case .exited(let code):
            taskEnded(thread, status: code << 8)
        case .signaled(let sig, let core):
            taskEnded(thread, status: sig | (core ? 0x80 : 0))
        case .syscallStop:
            // Entry and exit stops alternate; asking the kernel (PTRACE_GET_SYSCALL_INFO) costs a
            // request per stop, so only threads whose state is unknown (just attached) ask.
            let entering = thread.syscallStateKnown ? thread.currentSyscall == nil
                                                    : try tracee.syscallStopKind() == .entry
            thread.syscallStateKnown = true
            if entering { try syscallEntry(thread) } else { try syscallExit(thread) }
        case .event(.exec, _):
            try execEvent(thread)
        case .event(let ev, _) where ev == .fork || ev == .vfork || ev == .clone:
            let child = Int32(truncatingIfNeeded: try tracee.eventMessage())
            try takeOverCreatingCall(thread)
            try newTask(child, parent: thread, vfork: ev == .vfork)
            try resume(thread)
        case .event(.exit, _):
            let exitStatus = Int32(truncatingIfNeeded: try tracee.eventMessage())
            try exitEvent(thread, status: exitStatus)
        case .event(.stop, let sig):
            if thread.lifecycle == .awaitingFirstStop {
                try firstStop(thread)
            } else if Recorder.groupStopSignals.contains(sig) {
                // A group stop (SIGSTOP, SIGTSTP, ... to the process): the task must stay
                // stopped until SIGCONT. PTRACE_LISTEN keeps it so, and reports the SIGCONT.
                (thread.stopSequence, thread.stopSwitches) = (nil, nil)
                try tracee.listen()
                thread.lifecycle = .groupStopped
            } else {
                try rotateIfRequested(thread)
                try resume(thread)
            }
        case .event:
            try resume(thread)
        case .signalStop(let sig):
            try signalStop(thread, signal: sig)
        }
    }

    func resume(_ thread: TracedThread, signal: Int32 = 0) throws {
        (thread.stopSequence, thread.stopSwitches) = (nil, nil)
        // On the BPF path only a call the tracer handles needs its syscall-exit stop.
        if processes[thread.pid]?.fastPath == true, thread.currentSyscall == nil {
            // The thread may make calls before its next stop: no CPU time to place a signal by.
            thread.cpuAtUserEntry = nil
            try Tracee(thread.tid).resume(signal: signal)
        } else {
            // User code runs next unless the thread is entering a call.
            thread.cpuAtUserEntry = thread.currentSyscall == nil ? thread.cpuClock?.nanos() : nil
            try Tracee(thread.tid).resumeSyscall(signal: signal)
        }
        thread.lifecycle = .running
    }

    func now(_ window: Window) -> UInt64 { monotonicNanos() &- window.startNanos }

    func append(_ event: LogEvent, to process: TracedProcess) {
        guard let w = process.current else { return }
        if let stop = currentStopSequence { w.stopSequences[w.log.count] = stop }
        w.log.append(event)
        w.logBytes += approximateSize(event)
        if case .syscallEntry = event { w.syscalls += 1 }
    }

    // MARK: syscalls

    func syscallEntry(_ thread: TracedThread) throws {
        let tracee = Tracee(thread.tid)
        var regs = try tracee.registers()
        let number = Int32(truncatingIfNeeded: Int64(bitPattern: regs.origRax))
        guard let process = processes[thread.pid], let window = process.current else {
            thread.currentSyscall = number
            return try resume(thread)
        }
        // On the BPF path windows rotate at interrupts only (requestOverdueRotations).
        if !process.fastPath, shouldRotate(process, window), !isExitOrExec(number) {
            if try startWindow(process, trigger: thread, atEntry: true, reason: "rotation") {
                return try resume(thread)  // the call runs again and is logged in the new window
            }
        }
        thread.currentSyscall = number
        if number == SyscallNumber.rseq {  // the kernel would write cpu ids asynchronously; refuse it as rr does
            regs.origRax = UInt64(bitPattern: -1)
            try tracee.setRegisters(regs)
            thread.cancelResult = -38
        }
        var strings: [String] = []
        if let memory = try? process.memoryAccess() {
            for index in SyscallTable.inputStringArgs(Int(number)) where index < 6 {
                let address = regs.syscallArgs[index]
                strings.append(address == 0 ? "" : ((try? memory.readString(address)) ?? ""))
            }
        }
        let entry = LogEvent.syscallEntry(tid: thread.tid, time: now(window), number: number,
                                          args: regs.syscallArgs, strings: strings)
        thread.lastEntry = entry
        append(entry, to: process)
        try resume(thread)
    }

    // MARK: windows of processes that make no syscalls

    enum NextStop {
        case stop(Int32, WaitStatus)
        /// A window is due in a process whose threads run without making syscalls.
        case timeToRotate
        case noTasks
    }

    /// The next stop of any tracee; when a window falls due first, a timer interrupts the wait.
    func waitForNextStop() throws -> NextStop {
        if fast?.inbox.takeRotationCheck() == true { return .timeToRotate }
        let timeout = nextRotationMilliseconds()
        if let timeout { _ = vp_interrupt_after(timeout) }
        defer { if timeout != nil { _ = vp_interrupt_after(0) } }
        var status: Int32 = 0
        while true {
            let r = waitpid(-1, &status, 0x40000000)  // __WALL
            if r > 0 { return .stop(r, WaitStatus(raw: status)) }
            let e = vp_errno()
            // The timer, or the BPF drain when a window's log grew long.
            if e == EINTR { return .timeToRotate }
            if e == ECHILD { return .noTasks }
            throw KernelError("waitpid", pid: -1, errno: e)
        }
    }

    /// Milliseconds until the first window falls due in a process with a thread running user
    /// code (the others start their windows at their next syscall); nil when there is none.
    func nextRotationMilliseconds() -> Int32? {
        var earliest: Double?
        let now = monotonicNanos()
        for process in processes.values where process.rotationRequested == nil && !process.captured {
            guard let window = process.current, userModeThread(process) != nil else { continue }
            let due = max(Double(window.startNanos) / 1e9 + options.window, Double(process.rotationDeferredUntil) / 1e9)
                - Double(now) / 1e9
            earliest = min(earliest ?? due, due)
        }
        return earliest.map { Int32(max(5, min(60_000, $0 * 1000))) }
    }

    /// A thread resumed outside any call the tracer saw begin, and that `also` accepts.
    func userModeThread(_ process: TracedProcess, also: (TracedThread) -> Bool = { _ in true }) -> TracedThread? {
        process.threads.lazy.compactMap { self.threads[$0] }
            .first { $0.lifecycle == .running && $0.currentSyscall == nil && also($0) }
    }

    /// Interrupts one user-mode thread of each process whose window is overdue.
    func requestOverdueRotations() {
        for process in processes.values where process.rotationRequested == nil && !process.captured {
            guard let window = process.current, shouldRotate(process, window), monotonicNanos() >= process.rotationDeferredUntil,
                  let thread = interruptibleThread(process) else { continue }
            if (try? Tracee(thread.tid).interrupt()) != nil { process.rotationRequested = thread.tid }
        }
    }

    /// How long a BPF-path rotation waits after finding every thread asleep in a call.
    static let sleepingRotationRetryNanos: UInt64 = 50_000_000

    /// The thread a rotation may interrupt. On the ptrace path, one the tracer knows to be in
    /// user mode. On the BPF path the tracer does not see calls begin, so a thread asleep in one
    /// (scheduler state S or D) is left alone: interrupting it ends the call with a restart code,
    /// and the call then runs again from the start (a timeout counted anew), or, if a handled
    /// signal lands before it does, not at all (pause() loops hung). Every thread asleep: retry
    /// later, the window runs on meanwhile (it grows by nothing while they sleep).
    func interruptibleThread(_ process: TracedProcess) -> TracedThread? {
        guard process.fastPath else { return userModeThread(process) }
        if let awake = userModeThread(process, also: { ProcFS.taskState(process.pid, $0.tid) == "R" }) { return awake }
        process.rotationDeferredUntil = monotonicNanos() + Self.sleepingRotationRetryNanos
        return nil
    }

    /// The interrupt asked for by `requestOverdueRotations` arrived: start the window here,
    /// unless the thread went into a syscall meanwhile (that entry starts it) or one began since.
    func rotateIfRequested(_ thread: TracedThread) throws {
        guard let process = processes[thread.pid], process.rotationRequested == thread.tid else { return }
        process.rotationRequested = nil
        guard thread.currentSyscall == nil, let window = process.current, shouldRotate(process, window) else { return }
        _ = try startWindow(process, trigger: thread, atEntry: false, reason: "rotation")
    }

    func isExitOrExec(_ n: Int32) -> Bool {
        [SyscallNumber.exit, SyscallNumber.exit_group, SyscallNumber.execve, SyscallNumber.execveat].contains(n)
    }

    func shouldRotate(_ process: TracedProcess, _ window: Window) -> Bool {
        let waiting = process.fastPath ? fast?.inbox.pending(process.pid) ?? 0 : 0
        return window.logBytes > options.logCapBytes || window.syscalls + waiting >= options.logCapSyscalls
            || Double(monotonicNanos() &- window.startNanos) / 1e9 >= options.window
    }

    func syscallExit(_ thread: TracedThread) throws {
        let tracee = Tracee(thread.tid)
        var regs = try tracee.registers()
        let number = thread.currentSyscall ?? Int32(truncatingIfNeeded: Int64(bitPattern: regs.origRax))
        thread.currentSyscall = nil
        guard let process = processes[thread.pid] else { return try resume(thread) }
        if process.awaitingExecWindow, number == SyscallNumber.execve || number == SyscallNumber.execveat, regs.result == 0 {
            process.awaitingExecWindow = false
            do {
                try installRefusalFilter(process, thread)
            } catch {
                fallBackToPtrace(process, "the seccomp refusal filter could not be installed (\(error))")
            }
            _ = try startWindow(process, trigger: thread, atEntry: false, reason: "exec")
            return try resume(thread)
        }
        if let forced = thread.cancelResult {
            regs.rax = UInt64(bitPattern: forced)
            try tracee.setRegisters(regs)
            thread.cancelResult = nil
        }
        if number == SyscallNumber.set_tid_address { thread.clearChildTid = regs.syscallArgs[0] == 0 ? nil : regs.syscallArgs[0] }
        guard let window = process.current else { return try resume(thread) }
        let writes = collectWrites(process, number: number, args: regs.syscallArgs, result: regs.result)
        append(.syscallExit(tid: thread.tid, time: now(window), number: number, result: regs.result, writes: writes),
               to: process)
        try resume(thread)
    }

    /// Bytes the kernel wrote during the call, per the syscall table; for a file mapping, its contents.
    func collectWrites(_ process: TracedProcess, number: Int32, args: [UInt64], result: Int64) -> [MemoryWrite] {
        guard let memory = try? process.memoryAccess() else { return [] }
        var writes: [MemoryWrite] = []
        do {
            writes = try tableWrites(memory, number: number, args: args, result: result)
        } catch {
            warn(process, "\(error)")
        }
        return writes + mappingWrites(process, memory, number: number, args: args, result: result)
    }

    /// What a mapping call put into memory: a file mapping's contents (replay maps anonymous
    /// memory and fills in what the file held), a grown file mapping's new part.
    func mappingWrites(_ process: TracedProcess, _ memory: ProcessMemory, number: Int32, args: [UInt64], result: Int64) -> [MemoryWrite] {
        var writes: [MemoryWrite] = []
        if number == SyscallNumber.mmap, result > 0, (args[3] & 0x20) == 0, Int64(bitPattern: args[4]) >= 0 {
            for run in memory.readAvailable(UInt64(result), count: Int(args[1])) {
                writes += nonZeroPages(run).map { MemoryWrite(address: $0.address, bytes: $0.bytes) }
            }
        }
        return writes + grownFileContents(process, number: number, args: args, result: result, memory: memory)
    }

    /// The regions the table says the call wrote, read from the process now.
    func tableWrites(_ memory: ProcessMemory, number: Int32, args: [UInt64], result: Int64) throws -> [MemoryWrite] {
        let regions = try SyscallTable.writtenRegions(number: Int(number), args: args, result: result,
                                                      memory: MemoryReaderAdapter(memory))
        return regions.filter { $0.length > 0 }.flatMap { r in
            memory.readAvailable(r.address, count: r.length).map { MemoryWrite(address: $0.address, bytes: $0.bytes) }
        }
    }

    func warn(_ process: TracedProcess, _ message: String) {
        if !process.warnings.contains(message) {
            process.warnings.append(message)
            logger.debug("process \(process.pid): \(message)")
        }
    }

    // MARK: signals

    func signalStop(_ thread: TracedThread, signal: Int32) throws {
        let tracee = Tracee(thread.tid)
        let info = try tracee.siginfo()
        let code = info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) }
        guard let process = processes[thread.pid] else { return try resume(thread, signal: signal) }
        var regs = try tracee.registers()
        if signal == SIGSEGV, code == 0x80, let emulated = try emulateTimestampCounter(process, thread, &regs) {
            if let window = process.current {
                append(.rdtsc(tid: thread.tid, time: now(window), pc: emulated.pc, value: emulated.value, aux: emulated.aux),
                       to: process)
            }
            return try resume(thread)
        }
        if signal == SIGSTOP, code == 0x80, process.fastPath {
            // The BPF logger's stop (SI_KERNEL) for an event the tracer completes: its bytes were
            // read when the event was absorbed; the program never sees the signal.
            return try resume(thread)
        }
        let faults: Set<Int32> = [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP]
        let synchronous = faults.contains(signal) && code > 0
        thread.lastSignal = signal
        thread.lastSignalNanos = monotonicNanos()
        if let window = process.current {
            if !synchronous, let memory = try? process.memoryAccess(), let maps = try? ProcFS.maps(process.pid) {
                // CPU time since user entry only where the tracer saw that entry (the ptrace path); 0: unknown.
                var cpuNanos: UInt64 = 0
                if let start = thread.cpuAtUserEntry, let now = thread.cpuClock?.nanos() { cpuNanos = now &- start }
                var ranges = fingerprintRanges(maps: maps, program: process.program, sp: regs.rsp)
                var fingerprint = memoryFingerprint(memory, ranges: ranges)
                if othersRanSinceStop(thread, process) {
                    // What the program's data held at the stop is gone: the stack alone tells the pass.
                    ranges = fingerprintRanges(maps: maps, program: process.program, sp: regs.rsp, data: false)
                    fingerprint = memoryFingerprint(memory, ranges: ranges)
                }
                append(.asyncPoint(tid: thread.tid, time: self.now(window), cpuNanos: cpuNanos, ranges: ranges,
                                   fingerprint: fingerprint), to: process)
            }
            append(.signal(tid: thread.tid, time: now(window), signal: signal, siginfo: info, registers: regs,
                           synchronous: synchronous), to: process)
        }
        if !process.captured, process.current != nil, Recorder.isNamespaceInit(process.pid),
           Recorder.killsByDefault(signal, pid: process.pid) {
            return try captureNamespaceInit(process, thread, signal: signal)
        }
        try resume(thread, signal: signal)
    }

    /// A PID-namespace init ignores a fatal signal re-injected by its tracer (it is unkillable
    /// from inside while traced) and would fault forever: capture at the signal, then let it go.
    /// Untraced, the same fault kills it (status 128+signal), as without recording.
    func captureNamespaceInit(_ process: TracedProcess, _ thread: TracedThread, signal: Int32) throws {
        process.captured = true
        do {
            let bundle = try capture(process, endingThread: thread, status: signal)
            written.append(bundle)
            onBundle?(bundle)
        } catch {
            logger.error("could not write a bundle for process \(process.pid) (\(process.program)): \(error)")
        }
        dropWindows(process)
        for tid in process.threads {
            guard let t = threads[tid] else { continue }
            if t.isRunning {
                try? Tracee(tid).interrupt()
                _ = try? waitForTask(tid)
            }
            try? Tracee(tid).detach()
            threads.removeValue(forKey: tid)
        }
        processes.removeValue(forKey: process.pid)
        logger.notice("released namespace init \(process.pid) after \(signalName(signal)); it ends untraced")
    }

    static func isNamespaceInit(_ pid: Int32) -> Bool {
        guard let s = try? ProcFS.status("/proc/\(pid)/status"), let ns = s["NSpid"] else { return false }
        return ns.split(whereSeparator: { $0 == " " || $0 == "\t" }).last == "1"
    }

    /// Whether `signal` ends the process: its default action terminates and it is not caught.
    static func killsByDefault(_ signal: Int32, pid: Int32) -> Bool {
        !SignalDefaults.nonTerminating.contains(signal) && ProcFS.disposition(of: signal, in: pid) == .byDefault
    }

    /// rdtsc/rdtscp fault under PR_TSC_SIGSEGV: answer it with the real counter and skip the instruction.
    func emulateTimestampCounter(_ process: TracedProcess, _ thread: TracedThread, _ regs: inout Registers) throws
        -> (pc: UInt64, value: UInt64, aux: UInt32?)?
    {
        guard let memory = try? process.memoryAccess(), let code = try? memory.read(regs.rip, count: 3) else { return nil }
        let pc = regs.rip
        var aux: UInt32?
        let value: UInt64
        if code[0] == 0x0F && code[1] == 0x31 {
            value = vp_rdtsc()
            regs.rip += 2
        } else if code[0] == 0x0F && code[1] == 0x01 && code[2] == 0xF9 {
            var a: UInt32 = 0
            value = vp_rdtscp(&a)
            aux = a
            regs.rcx = UInt64(a)
            regs.rip += 3
        } else {
            return nil
        }
        regs.rax = value & 0xffff_ffff
        regs.rdx = value >> 32
        try Tracee(thread.tid).setRegisters(regs)
        return (pc, value, aux)
    }

    // MARK: tasks

    func newTask(_ child: Int32, parent: TracedThread, vfork: Bool) throws {
        guard threads[child] == nil, !shadows.contains(child) else { return }
        let tgid = Recorder.threadGroup(of: child) ?? child
        let thread = TracedThread(tid: child, pid: tgid, lifecycle: .awaitingFirstStop)
        thread.clearChildTid = clearChildTid(ofChildOf: parent)
        threads[child] = thread
        if tgid == parent.pid, let process = processes[tgid] {
            process.threads.append(child)
            if let window = process.current {
                append(.threadStart(tid: child, time: now(window), parent: parent.tid), to: process)
            }
        } else {
            let parentProcess = processes[parent.pid]
            let process = TracedProcess(pid: child, program: parentProcess?.program ?? "?",
                                        argv: parentProcess?.argv ?? [])
            process.threads = [child]
            process.syscallInstruction = parentProcess?.syscallInstruction
            process.sharesParentMemory = vfork
            // Filters and the logger's recorded set are inherited across fork.
            process.fastPath = parentProcess?.fastPath ?? false
            process.hasRefusalFilter = parentProcess?.hasRefusalFilter ?? false
            processes[child] = process
        }
        if let early = earlyStops.removeValue(forKey: child) { deferred.append((child, early)) }
    }

    /// The child_tid a clone/clone3 with CLONE_CHILD_CLEARTID gave the new task, read from
    /// the parent's logged entry.
    func clearChildTid(ofChildOf parent: TracedThread) -> UInt64? {
        guard case .syscallEntry(_, _, let number, let args, _) = parent.lastEntry,
              let memory = try? processes[parent.pid]?.memoryAccess() else { return nil }
        return SyscallTable.childClearTid(number: Int(number), args: args, memory: MemoryReaderAdapter(memory))
    }


    static func threadGroup(of tid: Int32) -> Int32? {
        guard let s = try? ProcFS.status("/proc/\(tid)/status"), let tgid = s["Tgid"] else { return nil }
        return Int32(tgid)
    }

    func firstStop(_ thread: TracedThread) throws {
        thread.lifecycle = .stopped
        if let process = processes[thread.pid], process.pid == thread.tid, process.current == nil,
           !process.sharesParentMemory, !process.awaitingExecWindow {
            do {
                _ = try startWindow(process, trigger: thread, atEntry: false, reason: "fork")
            } catch {
                warn(process, "could not start recording window after fork: \(error)")
            }
        }
        try resume(thread)
    }

    func execEvent(_ thread: TracedThread) throws {
        let formerTid = Int32(truncatingIfNeeded: try Tracee(thread.tid).eventMessage())
        guard let process = processes[thread.pid] else { return try resume(thread) }
        // Other threads are gone; the exec'ing thread now carries the process id.
        for tid in process.threads where tid != thread.tid && tid != formerTid { threads.removeValue(forKey: tid) }
        if formerTid != thread.tid { threads.removeValue(forKey: formerTid) }
        process.threads = [thread.tid]
        dropWindows(process)
        process.memory = nil
        process.syscallInstruction = nil
        process.sharesParentMemory = false
        process.program = ProcFS.executable(process.pid)
        process.argv = ProcFS.commandLine(process.pid)
        process.awaitingExecWindow = true
        thread.clearChildTid = nil  // exec releases the old memory and forgets it
        thread.currentSyscall = SyscallNumber.execve
        try resume(thread)
    }

    func dropWindows(_ process: TracedProcess) {
        for shadow in process.shadows { killShadow(shadow) }
        for window in [process.current, process.previous].compactMap({ $0 }) { bury(window) }
        process.current = nil
        process.previous = nil
    }

    func killShadow(_ shadow: Int32) {
        logger.debug("killing shadow \(shadow)")
        killAndReap(shadow)
        shadows.remove(shadow)
    }

    func taskEnded(_ thread: TracedThread, status: Int32) {
        threads.removeValue(forKey: thread.tid)
        if thread.tid == rootPid {
            rootStatus = (status & 0x7f) != 0 ? 128 + (status & 0x7f) : (status >> 8) & 0xff
        }
        guard let process = processes[thread.pid] else { return }
        process.threads.removeAll { $0 == thread.tid }
        if process.threads.isEmpty {
            dropWindows(process)
            processes.removeValue(forKey: process.pid)
            _ = fast?.inbox.take(process.pid)  // its last events (exits) have no window to go to
        }
    }

    func exitEvent(_ thread: TracedThread, status: Int32) throws {
        defer {
            try? resume(thread)
            thread.lifecycle = .exiting
        }
        guard let process = processes[thread.pid], !process.captured, process.current != nil else { return }
        if process.fastPath { try logExitCall(thread, process) }
        let signal = status & 0x7f
        let code = (status >> 8) & 0xff
        let wholeProcess = thread.currentSyscall == SyscallNumber.exit_group || process.threads.count == 1 || signal != 0
        let abnormal = signal != 0 ? signal != SIGKILL : (wholeProcess && options.exitCodes.contains(code))
        guard abnormal else { return }
        process.captured = true
        do {
            let bundle = try capture(process, endingThread: thread, status: status)
            written.append(bundle)
            onBundle?(bundle)
        } catch {
            logger.error("could not write a bundle for process \(process.pid) (\(process.program)): \(error)")
        }
    }
}

extension Recorder {
    /// BPF path: a fork/clone event stops the parent inside its call. The tracer logs that
    /// call as the ptrace path does (entry now, before the new task's start; exit at the
    /// syscall-exit stop), so the log names the parent's clone before the child appears.
    func takeOverCreatingCall(_ thread: TracedThread) throws {
        guard let process = processes[thread.pid], process.fastPath, thread.currentSyscall == nil else { return }
        try logEntryFromRegisters(thread, process) { number, _ in Recorder.taskCreators.contains(number) }
    }

    /// BPF path: exit and exit_group return to nobody, so the logger (at exits) has no event for
    /// them; at the thread's exit stop its registers still name the call, and the tracer logs
    /// its entry as the ptrace path does.
    func logExitCall(_ thread: TracedThread, _ process: TracedProcess) throws {
        guard thread.currentSyscall == nil, process.current != nil else { return }
        try logEntryFromRegisters(thread, process) { number, regs in
            // rax is -ENOSYS while a call runs: a thread killed in user code may hold any orig_rax.
            (number == SyscallNumber.exit || number == SyscallNumber.exit_group) && regs.result == -Errno.ENOSYS
        }
    }

    /// The entry of the call a stopped thread is inside, from its registers, when `accepts`
    /// takes it: the thread is then in that call for the tracer, as after an entry stop.
    func logEntryFromRegisters(_ thread: TracedThread, _ process: TracedProcess,
                               accepts: (Int32, Registers) -> Bool) throws {
        let regs = try Tracee(thread.tid).registers()
        let number = Int32(truncatingIfNeeded: Int64(bitPattern: regs.origRax))
        guard accepts(number, regs) else { return }
        thread.currentSyscall = number
        let entry = LogEvent.syscallEntry(tid: thread.tid, time: process.current.map(now) ?? 0, number: number,
                                          args: regs.syscallArgs, strings: [])
        thread.lastEntry = entry
        append(entry, to: process)
    }
}

/// Splits a run into its pages that are not all zero (replay maps zero-filled memory).
func nonZeroPages(_ run: PageRun) -> [PageRun] {
    // Ranges of consecutive non-zero pages first, each copied once; the test compares with
    // memcmp against a zero page (byte by byte in Swift it took 4 % of a recording's start).
    var ranges: [Range<Int>] = []
    run.bytes.withUnsafeBytes { raw in
        guard let base = raw.baseAddress else { return }
        zeroPage.withUnsafeBytes { zero in
            var offset = 0
            while offset < raw.count {
                let end = min(offset + 4096, raw.count)
                if memcmp(base + offset, zero.baseAddress!, end - offset) != 0 {
                    if let last = ranges.last, last.upperBound == offset {
                        ranges[ranges.count - 1] = last.lowerBound ..< end
                    } else {
                        ranges.append(offset ..< end)
                    }
                }
                offset = end
            }
        }
    }
    return ranges.map { PageRun(address: run.address + UInt64($0.lowerBound), bytes: Array(run.bytes[$0])) }
}

private let zeroPage = [UInt8](repeating: 0, count: 4096)

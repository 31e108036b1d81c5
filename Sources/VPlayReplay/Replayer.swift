import CVPlay
import Glibc
import Logging
import VPlayBundle
import VPlayKernel
import VPlayPatch
import VPlaySyscalls

/// The result of a replay.
public struct ReplayOutcome: Codable, Sendable {
    public var reproduced: Bool
    public var signal: Int32?
    public var exitCode: Int32?
    public var pc: UInt64?
    public var faultAddress: UInt64?
    /// Syscalls replayed.
    public var syscalls: Int
    /// Log events consumed, of `events`.
    public var eventsReplayed: Int
    public var events: Int
    public var divergence: String?
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Running freely towards an asynchronous signal went past its point.
struct Overshoot: Error {}

struct Divergence: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

public struct ReplayOptions: Sendable {
    /// Called with what the replayed program writes to its stdout (1) or stderr (2).
    public var echo: (@Sendable (Int32, [UInt8]) -> Void)?
    /// Where window-start pages come from. Without a source, a verified bundle's pages are
    /// served on demand (a page it lacks is a divergence) and an unverified bundle's are
    /// written up front (pages it lacks read as zeros).
    public var pageSource: PageSource?
    /// CPU the tracer and the replay share; nil leaves the caller's affinity alone.
    public var cpu: Int32? = 0
    /// Give up (a divergence) after this many seconds.
    public var timeLimit: Double?
    /// Looks at the replayed memory when the process is about to end as recorded; a message
    /// is a divergence (a trial replay compares memory it can only check then).
    public var endCheck: (@Sendable (ProcessMemory) -> String?)?
    /// Stop (a divergence) where the recording made another process that shares this memory
    /// (clone with CLONE_VM, neither a thread nor a vfork): its writes are not in the log, so a
    /// trial replay cannot verify what follows. Other replays go on.
    public var refuseUnloggedWriters = false
    public init(echo: (@Sendable (Int32, [UInt8]) -> Void)? = nil) { self.echo = echo }
}

/// Replays a bundle's window: restores the window-start process and drives it through the log.
public final class Replayer {
    public let bundle: VPlayBundle.Bundle
    let options: ReplayOptions
    let logger: Logger
    public private(set) var pid: Int32 = 0
    var trampoline: UInt64 = 0
    /// Pages for filter stubs, near the pcs of the log's asynchronous events.
    var filterPages: [UInt64] = []
    /// The program's code as the bundle's objects hold it, for placing filter stubs.
    lazy var programCode = ProgramCode(bundle: bundle)
    /// Where asynchronous signals interrupted threads so far: a handler may come back there
    /// by any way (sigreturn, or a `ret` into a context it rewrote), so a patch covering one
    /// watches it (`PatchSite.guarded`).
    var signalPoints: Set<UInt64> = []
    /// Replay threads by recorded tid.
    public private(set) var threads: [Int32: ReplayThread] = [:]
    var memory: ProcessMemory?
    /// The log event being replayed.
    public private(set) var index = 0
    /// Threads that entered exit but have not really exited yet, and the log index of the
    /// joiner's futex after which they do (see `settleExits`).
    var exiting: [(thread: ReplayThread, after: Int)] = []
    /// A debugger taking part, if any.
    public weak var observer: ReplayObserver?
    var syscalls = 0
    var brk: UInt64 = 0
    /// The end as replay saw it.
    var endSignal: Int32?
    var endExitCode: Int32?
    var endRegisters: Registers?
    var endFaultAddress: UInt64?
    var pageServer: PageServer?
    /// Memory access for a debugger: pages come from the bundle only; a page it lacks is unreadable.
    public private(set) var debugMemory: ProcessMemory?
    var deadline = Double.infinity

    public init(bundle: VPlayBundle.Bundle, options: ReplayOptions = ReplayOptions(), logger: Logger) {
        self.bundle = bundle
        self.options = options
        self.logger = logger
    }

    public func run() throws -> ReplayOutcome {
        // One CPU for tracer and tracee: a ptrace round trip across CPUs costs several times more (docs/architecture.md).
        if let cpu = options.cpu { _ = vp_pin_cpu(0, cpu) }
        deadline = options.timeLimit.map { monotonicSeconds() + $0 } ?? .infinity
        // Replay is deterministic, so when running freely towards an asynchronous signal went
        // past it, replay again from the start with a wider safety margin.
        var outcome = try runOnce()
        while true {
            if overshot, fastForwardMargin < 1 {
                fastForwardMargin = 1
                logger.info("replay went past an asynchronous signal; again with margin \(fastForwardMargin)")
            } else if let point = missedPoint, loosePoints.count < 16, loosePoints.insert(point).inserted {
                // Its registers matched once but its memory fingerprint never did: a fingerprint
                // can differ where the state does not (a signal frame's insides); take that pass.
                logger.info("replay missed the point of log event \(point + 1); again, taking its first register match")
            } else {
                return outcome
            }
            outcome = try runOnce()
        }
    }

    /// Log indices of points where the first pass with the recorded registers is taken even
    /// though the memory fingerprint differs (see `run`).
    var loosePoints: Set<Int> = []
    /// The point a run did not reach although its registers matched once.
    var missedPoint: Int?

    /// Fraction of the recorded CPU time before an asynchronous signal not run freely.
    var fastForwardMargin = 0.25
    var overshot = false

    func runOnce() throws -> ReplayOutcome {
        (index, syscalls, overshot, missedPoint) = (0, 0, false, nil)
        signalPoints = []
        (endSignal, endExitCode, endRegisters, endFaultAddress) = (nil, nil, nil, nil)
        var builder = ReplayProcessBuilder(bundle: bundle)
        builder.lazyPages = options.pageSource != nil || bundle.manifest.verified
        builder.cpuSeconds = options.timeLimit.map { Int($0.rounded(.up)) + 1 }
        let built = try builder.build()
        pid = built.pid
        threads = built.threads
        trampoline = built.trampoline
        filterPages = built.filterPages
        brk = bundle.state.brk
        defer { terminate() }
        let memory = try ProcessMemory(pid: pid)
        self.memory = memory
        if let uffd = built.uffd { startServingPages(uffd, memory: memory) }
        let debugMemory = try ProcessMemory(pid: pid)
        debugMemory.onUnreachable = { [pageServer] address, count in
            try pageServer?.populate(address, count: count, sourceOnly: true) ?? false
        }
        self.debugMemory = debugMemory
        var divergence: String?
        do {
            while index < bundle.log.count {
                if monotonicSeconds() > deadline {
                    throw Divergence("replay took longer than \(options.timeLimit ?? 0) s")
                }
                try step(bundle.log[index])
                index += 1
            }
        } catch let interruption as ReplayInterruption {
            throw interruption
        } catch let missing as PageMissing {
            divergence = "at log event \(index + 1) of \(bundle.log.count): \(missing)"
        } catch is Overshoot {
            overshot = true
            divergence = "ran past the point of an asynchronous signal"
        } catch let d as Divergence {
            divergence = "at log event \(index + 1) of \(bundle.log.count): \(d.description)"
        } catch let e as KernelError {
            divergence = "at log event \(index + 1) of \(bundle.log.count): \(e.description)"
        } catch let e as TraceError {
            divergence = "at log event \(index + 1) of \(bundle.log.count): \(e.description)"
        }
        if divergence == nil, let mismatch = compareEnd() { divergence = mismatch }
        // A page the bundle lacks explains whatever went wrong after it.
        if let missing = pageServer?.missing { divergence = "at log event \(index + 1) of \(bundle.log.count): \(missing)" }
        return ReplayOutcome(reproduced: divergence == nil, signal: endSignal, exitCode: endExitCode,
                             pc: endRegisters?.rip, faultAddress: endFaultAddress, syscalls: syscalls,
                             eventsReplayed: index, events: bundle.log.count, divergence: divergence)
    }

    func terminate() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        for t in threads.values where !t.exited && t.realTid != pid { killAndReap(t.realTid) }
        killAndReap(pid)
        pageServer?.stop()
    }

    /// Window-start pages arrive on demand: from the given source, else from the bundle.
    func startServingPages(_ uffd: UserfaultFD, memory: ProcessMemory) {
        let keep = options.pageSource != nil
        let server = PageServer(uffd: uffd, source: options.pageSource ?? BundlePages(bundle.pages),
                                mappings: ReplayProcessBuilder.restoredMappings(bundle.state), keepContents: keep)
        if let old = pageServer, keep { server.adopt(old) }
        pageServer = server
        memory.onUnreachable = { [server] address, count in try server.populate(address, count: count) }
        server.start()
    }

    /// The longest readable prefix of [address, address+count) for a debugger (empty: none).
    public func readForDebugger(_ address: UInt64, count: Int) -> [UInt8] {
        guard let debugMemory, count > 0 else { return [] }
        // vplay's stub pages are not the program's.
        let end = address &+ UInt64(count)
        if filterPages.contains(where: { $0 < end && address < $0 + UInt64(FilterStub.pageSize) }) { return [] }
        if let all = try? debugMemory.read(address, count: count) { return all }
        var out: [UInt8] = []
        var at = address
        while out.count < count {
            let chunk = min(count - out.count, Int(0x1000 - (at & 0xfff)))
            guard let bytes = try? debugMemory.read(at, count: chunk) else { break }
            out += bytes
            at += UInt64(chunk)
        }
        return out
    }

    /// Window-start pages the replay touched, with their contents (when replaying from a page source).
    public var touchedPages: [PageRun] { pageServer?.touchedRuns ?? [] }
    public var touchedPageCount: Int { pageServer?.touchedCount ?? 0 }

    func thread(_ tid: Int32) throws -> ReplayThread {
        guard let t = threads[tid] else { throw Divergence("the log names thread \(tid), which replay has not created") }
        return t
    }

    // MARK: stepping

    func step(_ event: LogEvent) throws {
        logger.trace("replaying event \(index): \(event)")
        try settleExits(before: event)
        switch event {
        case .syscallEntry(let tid, _, let number, let args, _):
            try enter(try thread(tid), number: number, args: args)
        case .syscallExit(let tid, _, let number, let result, let writes):
            try leave(try thread(tid), number: number, result: result, writes: writes)
        case .signal(let tid, _, let signal, let info, let regs, let synchronous):
            if synchronous {
                try expectFault(try thread(tid), signal: signal, registers: regs)
            } else if changesNothing(signal) {
                // A stop, a continue or an ignored signal runs no code of the process, and a
                // call it interrupted restarts as without a handler; delivering it would stop
                // the replay itself.
                // The thread is at a stop the log describes: the interrupted call's exit, or the
                // window start (a thread taken at this signal's delivery stop).
                let t = try thread(tid)
                t.asyncPoint = nil
                let regs = try t.tracee.registers()
                if RestartErrno.isInterrupted(regs) { try t.tracee.setRegisters(RestartErrno.restarted(regs)) }
            } else {
                try inject(try thread(tid), signal: signal, siginfo: info, registers: regs)
            }
        case .rdtsc(let tid, _, let pc, let value, let aux):
            try answerTimestamp(try thread(tid), pc: pc, value: value, aux: aux)
        case .threadStart(let tid, _, let parent):
            try completeClone(parent: try thread(parent), child: tid)
        case .processEnd(let tid, _, let status):
            try finish(try thread(tid), status: status)
        case .asyncPoint(let tid, _, let cpuNanos, let ranges, let fingerprint):
            try thread(tid).asyncPoint = (cpuNanos, ranges, fingerprint)
        case .preemption(let tid, _, let registers):
            let t = try thread(tid)
            let point = t.asyncPoint
            t.asyncPoint = nil
            try runToPreemption(t, registers: registers, point: point)
        }
    }

    /// A stop of one thread, as replay sees it.
    enum Stop {
        case entry(Registers)
        case exit(Registers)
        case signal(Int32, Registers)
        case exiting(Int32)
        case ended(WaitStatus)
    }

    /// Resumes the thread and waits for its next stop. Only this thread runs meanwhile.
    func advance(_ t: ReplayThread) throws -> Stop {
        try restoreMaskInFrame(t)
        try resume(t)
        while true {
            guard let w = try waitForTask(t.realTid) else { throw Divergence("thread \(t.recordedTid) disappeared") }
            switch w.status {
            case .syscallStop:
                let regs = try t.tracee.registers()
                return try t.tracee.syscallStopKind() == .entry ? .entry(regs) : .exit(regs)
            case .signalStop(SIGTRAP) where observer != nil:
                let regs = try t.tracee.registers()
                let status = (try? t.tracee.debugRegister(6)) ?? 0
                try? t.tracee.setDebugRegister(6, 0)
                guard let observer, try observer.trapped(self, thread: t, registers: regs, debugStatus: status) else {
                    return .signal(SIGTRAP, regs)
                }
                if case .patched(let stub) = t.pointReach { try suspendPatch(t, stub) }
                try resume(t)
            case .signalStop(let s):
                return .signal(s, try t.tracee.registers())
            case .event(.exit, _):
                return .exiting(Int32(truncatingIfNeeded: try t.tracee.eventMessage()))
            case .event(.clone, _):
                try t.tracee.resumeSyscall()
            case .exited, .signaled:
                t.exited = true
                return .ended(w.status)
            case .event:
                try t.tracee.resumeSyscall()
            }
        }
    }

    /// A signal taken under a sigsuspend-like call's mask returns, after its handler, to the
    /// mask from before the call: the kernel writes the current mask into the frame, so deliver
    /// by a single step (which stops at the handler's first instruction, the frame at rsp) and
    /// put the older mask in the frame's uc_sigmask.
    func restoreMaskInFrame(_ t: ReplayThread) throws {
        guard let original = t.frameMask, t.signalToDeliver != 0, let memory else { return }
        t.frameMask = nil
        let sig = t.signalToDeliver
        t.signalToDeliver = 0
        t.atExitStop = false
        try t.tracee.singleStep(signal: sig)
        guard let w = try waitForTask(t.realTid), case .signalStop(SIGTRAP) = w.status else {
            throw Divergence("thread \(t.recordedTid) did not enter the handler of signal \(sig) under a single step")
        }
        let frame = try t.tracee.registers().rsp
        // struct rt_sigframe: pretcode (8), then ucontext: uc_flags, uc_link (8 each), uc_stack
        // (24), uc_mcontext (256), uc_sigmask.
        try memory.write(frame + 304, withUnsafeBytes(of: original.littleEndian) { Array($0) })
    }

    /// Resumes the thread as the observer says (to the next syscall stop by default), with the
    /// signal it is due. A single step over a `syscall` instruction runs to the syscall stop
    /// instead: the call must go through the log.
    func resume(_ t: ReplayThread) throws {
        let how: ReplayResume
        switch t.pointReach {
        case .none, .walking: how = try observer?.willResume(self, thread: t) ?? .run
        case .decided(let decided):
            how = decided
            t.pointReach = .walking
        case .patched: how = .run
        case .unpatched(let stub):
            how = try observer?.willResume(self, thread: t) ?? .run
            try resumePatch(t, stub, how: how)
        }
        t.lastResume = how
        let sig = t.signalToDeliver
        t.signalToDeliver = 0
        t.atExitStop = false
        if how == .step, !t.inSyscall, !(try atSyscallInstruction(t)) {
            try t.tracee.singleStep(signal: sig)
        } else {
            try t.tracee.resumeSyscall(signal: sig)
        }
    }

    func atSyscallInstruction(_ t: ReplayThread) throws -> Bool {
        try atSyscallInstruction(try t.tracee.registers().rip)
    }

    func atSyscallInstruction(_ pc: UInt64) throws -> Bool {
        guard let memory else { return false }
        return (try? memory.read(pc, count: 2)) == [0x0F, 0x05]
    }

    func describe(_ stop: Stop) -> String {
        switch stop {
        case .entry(let r):
            return "entered \(SyscallTable.name(Int(Int64(bitPattern: r.origRax)))) at pc 0x\(hex(r.rip))"
        case .exit(let r): return "returned from a syscall at pc 0x\(hex(r.rip))"
        case .signal(let s, let r): return "received \(s == SIGSEGV ? "SIGSEGV" : "signal \(s)") at pc 0x\(hex(r.rip))"
        case .exiting(let s): return "began to exit (status \(s))"
        case .ended(let w): return "ended (\(w))"
        }
    }

    func enter(_ t: ReplayThread, number: Int32, args: [UInt64]) throws {
        let stop = try advance(t)
        guard case .entry(var regs) = stop else {
            throw Divergence("thread \(t.recordedTid) should have entered \(SyscallTable.name(Int(number))) but \(describe(stop))")
        }
        let actual = Int32(truncatingIfNeeded: Int64(bitPattern: regs.origRax))
        let spec = SyscallTable.spec(Int(number))
        let compared = spec?.args.count ?? 6
        if actual != number || Array(regs.syscallArgs.prefix(compared)) != Array(args.prefix(compared)) {
            throw Divergence("thread \(t.recordedTid) entered \(SyscallTable.name(Int(actual)))(\(regs.syscallArgs.prefix(compared).map { "0x" + hex($0) }.joined(separator: ", "))) at pc 0x\(hex(regs.rip)) where the recording has \(SyscallTable.name(Int(number)))(\(args.prefix(compared).map { "0x" + hex($0) }.joined(separator: ", ")))")
        }
        syscalls += 1
        var call = PendingCall(number: number, args: args, emulated: true)
        switch SyscallTable.replayPolicy(Int(number), recordedResult: recordedResult(of: t.recordedTid, number: number)) {
        case .emulate:
            break
        case .reexecute:
            call.emulated = false
        case .memoryMap:
            call.emulated = try prepareMemoryCall(&regs, number: number, thread: t)
            call.brk = number == SyscallNumber.brk
        case .clone:
            call.emulated = !(try createsThread(number, args))
            if options.refuseUnloggedWriters, let writer = try sharedMemoryWriter(number, args) {
                throw Divergence(writer)
            }
        case .exec:
            throw Divergence("the window contains an exec, which replay cannot re-run")
        case .unsupported(let reason):
            throw Divergence("\(SyscallTable.name(Int(number))) is not supported: \(reason)")
        }
        if call.emulated {
            regs.origRax = UInt64(bitPattern: -1)
            echoIfOutput(number, args)
        }
        try t.tracee.setRegisters(regs)
        t.pending = call
        // A thread's exit goes ahead now (or when a joiner waits); an exit_group ends every
        // thread, which is the process end's to let happen (`finish`), whichever thread called it.
        if !call.emulated && number == SyscallNumber.exit {
            if t.realTid != pid, let joined = futureWait(on: t) {
                exiting.append((t, joined))
            } else {
                try let_exit(t)
            }
        }
    }

    /// When an exiting thread's kernel-side end (clearing its tid, waking joiners) happens is
    /// not in the log: some time after its exit entry, while other threads may run on. A joiner
    /// that found the tid still set waits on it with a futex: the exit then completes right
    /// after that futex's entry (the joiner read the tid before; its futex returns after).
    /// With no such wait ahead, every reader found it cleared: the exit completes at once.
    func settleExits(before event: LogEvent) throws {
        guard !exiting.isEmpty else { return }
        let due = exiting.filter { $0.after < index || event.tid == $0.thread.recordedTid }
        exiting.removeAll { entry in due.contains { $0.thread === entry.thread } }
        for entry in due { try let_exit(entry.thread) }
    }

    /// The index of the next futex wait of another thread on `t`'s clear_child_tid, if any.
    func futureWait(on t: ReplayThread) -> Int? {
        guard let address = t.clearChildTid else { return nil }
        for i in (index + 1)..<bundle.log.count {
            guard case .syscallEntry(let tid, _, let n, let args, _) = bundle.log[i], tid != t.recordedTid,
                  n == SyscallNumber.futex, args.first == address else { continue }
            let op = args.count > 1 ? args[1] & 0x7f : 0
            if op == 0 || op == 9 { return i }  // FUTEX_WAIT, FUTEX_WAIT_BITSET
        }
        return nil
    }

    /// A thread that calls exit really exits now, so the kernel clears its tid for joiners.
    func let_exit(_ t: ReplayThread) throws {
        if t.realTid == pid { return }  // the group leader's exit is the process end; handled there
        // The kernel's clearing of the tid cannot fault a missing page in while the thread
        // exits (userfaultfd refuses exiting tasks): serve that page first.
        if let address = t.clearChildTid { _ = try pageServer?.populate(address, count: 4) }
        while !t.exited {
            if case .exiting = try advance(t) { continue }
        }
    }

    func echoIfOutput(_ number: Int32, _ args: [UInt64]) {
        guard let echo = options.echo, number == SyscallNumber.write, args[0] == 1 || args[0] == 2,
              let memory, let bytes = try? memory.read(args[1], count: Int(min(args[2], 1 << 20))) else { return }
        echo(Int32(args[0]), bytes)
    }

    func leave(_ t: ReplayThread, number: Int32, result: Int64, writes: [MemoryWrite]) throws {
        guard let call = t.pending, call.number == number else {
            throw Divergence("thread \(t.recordedTid) returns from \(SyscallTable.name(Int(number))) without having entered it")
        }
        var regs: Registers
        if t.atExitStop {
            regs = try t.tracee.registers()
        } else {
            let stop = try advance(t)
            guard case .exit(let r) = stop else {
                throw Divergence("thread \(t.recordedTid) should have returned from \(SyscallTable.name(Int(number))) but \(describe(stop))")
            }
            regs = r
        }
        t.pending = nil
        t.atExitStop = true
        if !call.emulated, number == SyscallNumber.mmap || number == SyscallNumber.mremap, regs.result != result {
            throw Divergence("\(SyscallTable.name(Int(number))) gave 0x\(hex(regs.rax)) in replay, 0x\(hex(UInt64(bitPattern: result))) when recorded")
        }
        if call.brk { try applyBrk(t, to: result) }
        guard let memory else { return }
        if result == 0 { try applyStackLimit(call, memory: memory) }
        for w in writes { try memory.write(w.address, w.bytes) }
        regs.rax = UInt64(bitPattern: result)
        // The kernel preserves argument registers; undo any rewriting (mmap of a file as anonymous).
        if call.args.count == 6, number != SyscallNumber.rt_sigreturn { (regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9) = (call.args[0], call.args[1], call.args[2], call.args[3], call.args[4], call.args[5]) }
        // A cancelled call has orig_rax -1; put the number back so the kernel's restart logic
        // (for -ERESTART* results when a signal follows) sees the call as the recording did.
        if call.emulated { regs.origRax = UInt64(bitPattern: Int64(number)) }
        if RestartErrno.isInterrupted(regs), !nextEventIsSignal(for: t.recordedTid) {
            regs = RestartErrno.restarted(regs)
        } else if call.emulated, nextEventIsSignal(for: t.recordedTid) {
            t.temporaryMask = SyscallTable.temporarySignalMask(number: Int(number), args: call.args,
                                                                memory: MemoryReaderAdapter(memory))
        }
        try t.tracee.setRegisters(regs)
    }

    func nextEventIsSignal(for tid: Int32) -> Bool {
        for e in bundle.log[(index + 1)...] where e.tid == tid {
            switch e {
            case .signal: return true
            case .asyncPoint: continue  // describes the signal that follows
            default: return false
            }
        }
        return false
    }

    // MARK: memory-map calls

    /// Rewrites a memory-map call so that it recreates the recorded effect with anonymous
    /// memory at the recorded address. Returns true when the call is answered from the log instead.
    func prepareMemoryCall(_ regs: inout Registers, number: Int32, thread t: ReplayThread) throws -> Bool {
        guard let result = recordedResult(of: t.recordedTid, number: number) else { return true }
        if result < 0 && result > -4096 { return true }  // failed when recorded: just answer the error
        switch number {
        case SyscallNumber.mmap:  // anonymous private memory, fixed at the recorded address
            regs.rdi = UInt64(bitPattern: result)
            regs.r10 = 0x32 | (regs.r10 & (0x100 | 0x4000 | 0x20000))
            regs.r8 = UInt64(bitPattern: -1)
            regs.r9 = 0
            return false
        case SyscallNumber.mremap where UInt64(bitPattern: result) == regs.rdi:  // in place: as it is
            _ = try pageServer?.populate(regs.rdi, count: Int(regs.rsi))
            return false
        case SyscallNumber.mremap:  // fixed at the recorded address
            regs.r10 |= 3
            regs.r8 = UInt64(bitPattern: result)
            // The kernel moves pages, not missing ones: fill them first, or they would read as zeros.
            _ = try pageServer?.populate(regs.rdi, count: Int(regs.rsi))
            return false
        case SyscallNumber.brk:  // answered from the log; the heap is grown or shrunk after it
            return true
        case SyscallNumber.madvise where [4, 8, 9, 24].contains(regs.rdx):  // madvise DONTNEED/FREE/REMOVE/DONTNEED_LOCKED: zeros from now on
            pageServer?.release(regs.rdi, length: regs.rsi)
            return false
        default:  // munmap, mprotect, madvise, mlock...: re-run as they are
            return false
        }
    }

    func recordedResult(of tid: Int32, number: Int32) -> Int64? {
        for e in bundle.log[(index + 1)...] {
            if case .syscallExit(let t, _, let n, let r, _) = e, t == tid {
                return n == number ? r : nil
            }
        }
        return nil
    }

    func applyBrk(_ t: ReplayThread, to newBreak: Int64) throws {
        let target = UInt64(bitPattern: newBreak)
        let oldEnd = (brk + 0xfff) & ~0xfff, newEnd = (target + 0xfff) & ~0xfff
        if newEnd != oldEnd {
            let caller = try RemoteCaller(t.tracee, syscallInstruction: trampoline, atEntryStop: false)
            if newEnd > oldEnd {
                let r = try caller.call(SyscallNumber.mmap, [oldEnd, newEnd - oldEnd, 3, 0x32, UInt64(bitPattern: -1), 0])
                guard r == Int64(oldEnd) else { throw Divergence("could not grow the replay heap to 0x\(hex(newEnd))") }
            } else {
                try caller.call(SyscallNumber.munmap, [newEnd, oldEnd - newEnd])
            }
            try caller.finish(reissue: false)
        }
        brk = target
    }

    /// A new RLIMIT_STACK set inside the window bounds how far [stack] grows from then on: the
    /// replay process gets it too (the call itself is answered from the log).
    func applyStackLimit(_ call: PendingCall, memory: ProcessMemory) throws {
        let limit: UInt64
        switch call.number {
        case SyscallNumber.setrlimit where call.args[0] == 3:  // setrlimit(RLIMIT_STACK, new)
            limit = try memory.readU64(call.args[1])
        case SyscallNumber.prlimit64 where call.args[1] == 3 && call.args[2] != 0
                       && (call.args[0] == 0 || call.args[0] == UInt64(bundle.manifest.process.pid)):  // prlimit64(self, RLIMIT_STACK, new, old)
            limit = try memory.readU64(call.args[2])
        default:
            return
        }
        if vp_limit_stack(pid, limit) != 0 { throw Divergence("could not set the stack limit of the replay process to \(limit)") }
    }

    /// Why a clone makes a process whose writes into this memory the log lacks, or nil.
    func sharedMemoryWriter(_ number: Int32, _ args: [UInt64]) throws -> String? {
        var flags = args[0]
        if number == SyscallNumber.clone3, let memory { flags = try memory.readU64(args[0]) }
        guard number == SyscallNumber.clone || number == SyscallNumber.clone3, flags & 0x100 != 0, flags & 0x10000 == 0, flags & 0x4000 == 0,
              let result = recordedResult(of: bundle.log[index].tid, number: number), result > 0 else { return nil }
        return "clone(CLONE_VM) made process \(result), which shares this process's memory: what it writes there is not recorded"
    }

    func createsThread(_ number: Int32, _ args: [UInt64]) throws -> Bool {
        if number == SyscallNumber.clone { return args[0] & 0x10000 != 0 }
        if number == SyscallNumber.clone3, let memory {  // clone3: flags are the first field of clone_args
            return (try memory.readU64(args[0])) & 0x10000 != 0
        }
        return false
    }

    /// The recorded clone created `child`: finish the parent's real clone now and adopt the new thread.
    func completeClone(parent: ReplayThread, child: Int32) throws {
        guard threads[child] == nil else { return }
        guard parent.pending != nil, parent.pending?.emulated == false else {
            throw Divergence("thread \(child) appeared in the recording, but thread \(parent.recordedTid) is not in a clone")
        }
        let stop = try advance(parent)
        guard case .exit(let regs) = stop, regs.result > 0 else {
            throw Divergence("clone in thread \(parent.recordedTid) did not create a thread in replay: \(describe(stop))")
        }
        parent.atExitStop = true
        let real = Int32(regs.result)
        guard let w = try waitForTask(real), !w.status.isTerminal else { throw Divergence("replayed thread \(real) vanished") }
        let thread = ReplayThread(recordedTid: child, realTid: real)
        if let memory, let call = parent.pending {
            thread.clearChildTid = SyscallTable.childClearTid(number: Int(call.number), args: call.args, memory: MemoryReaderAdapter(memory))
        }
        threads[child] = thread
    }

    // MARK: signals

    func expectFault(_ t: ReplayThread, signal: Int32, registers: Registers) throws {
        let stop = try advance(t)
        guard case .signal(let s, let regs) = stop, s == signal else {
            throw Divergence("thread \(t.recordedTid) should have faulted with signal \(signal) at pc 0x\(hex(registers.rip)) but \(describe(stop))")
        }
        let diff = regs.differences(from: registers)
        if !diff.isEmpty, !isFinalSignal() {
            throw Divergence("signal \(signal) in thread \(t.recordedTid) came with other registers: \(diff.joined(separator: ", "))")
        }
        t.lastSignalRegisters = regs
        t.lastSiginfo = try t.tracee.siginfo()
        t.signalToDeliver = signal
        t.atExitStop = false
    }

    func isFinalSignal() -> Bool {
        if index + 1 < bundle.log.count, case .processEnd = bundle.log[index + 1] { return true }
        return false
    }

    /// Delivers an asynchronous signal at the recorded point: right away when the thread is
    /// already there, else at a hardware breakpoint on the recorded pc whose registers match.
    func inject(_ t: ReplayThread, signal: Int32, siginfo: [UInt8], registers: Registers) throws {
        if let temporary = t.temporaryMask {
            t.temporaryMask = nil
            t.frameMask = try t.tracee.signalMask()
            try t.tracee.setSignalMask(temporary)
        }
        let point = t.asyncPoint
        t.asyncPoint = nil
        let here = try t.tracee.registers()
        // At a syscall's exit the recording's registers may differ in what the tracer rewrote;
        // not after rt_sigreturn (orig_rax -1), whose exit is the interrupted state again: a
        // loop's pc and rax, but maybe another iteration.
        let atCallExit = t.atExitStop && here.origRax != UInt64.max
        if try sameState(here, registers) || atCallExit && here.rip == registers.rip && here.rax == registers.rax {
            _ = vp_tgkill(pid, t.realTid, signal)
            let stop = try advance(t)
            guard case .signal(let s, _) = stop, s == signal else {
                throw Divergence("signal \(signal) for thread \(t.recordedTid) did not arrive: \(describe(stop))")
            }
        } else {
            try runToBreakpoint(t, registers: registers, point: point)
            try clearResumeFlag(t)
        }
        try t.tracee.setSiginfo(siginfo)
        signalPoints.insert(registers.rip)
        t.lastSignalRegisters = try t.tracee.registers()
        t.lastSiginfo = siginfo
        t.signalToDeliver = signal
    }

    /// A breakpoint's stop leaves RF set, so that the thread steps over the breakpoint once. The
    /// signal delivered there would save it in its frame, and the handler's return would pass a
    /// breakpoint on that pc unseen (moveOutOfSite waits for one there).
    func clearResumeFlag(_ t: ReplayThread) throws {
        var regs = try t.tracee.registers()
        let resumeFlag: UInt64 = 1 << 16
        guard regs.eflags & resumeFlag != 0 else { return }
        regs.eflags &= ~resumeFlag
        try t.tracee.setRegisters(regs)
    }

    /// Whether delivering `signal` now runs no code of the process: its default action is to
    /// stop, continue or be ignored and it is not caught, or it is ignored.
    func changesNothing(_ signal: Int32) -> Bool {
        if signal == SIGSTOP { return true }
        switch ProcFS.disposition(of: signal, in: pid) {
        case .ignored: return true
        case .byDefault: return SignalDefaults.nonTerminating.contains(signal)
        case .caught, nil: return false
        }
    }

    /// The same point of execution: the same general-purpose registers, except rcx and r11 at
    /// a `syscall` instruction, which overwrites both (a signal pending while a window started
    /// at a syscall arrives there with the values the first execution of it left).
    func sameState(_ regs: Registers, _ recorded: Registers) throws -> Bool {
        if regs.generalPurpose == recorded.generalPurpose { return true }
        guard regs.rip == recorded.rip, try atSyscallInstruction(regs.rip) else { return false }
        var a = regs, b = recorded
        (a.rcx, a.r11, b.rcx, b.r11) = (0, 0, 0, 0)
        return a.generalPurpose == b.generalPurpose
    }

    /// The thread was switched out in user mode at `registers`: it runs exactly that far, and
    /// stays there while the threads that ran next in the recording run.
    func runToPreemption(_ t: ReplayThread, registers: Registers, point: AsyncPoint?) throws {
        if try sameState(try t.tracee.registers(), registers), fingerprintHolds(point) { return }
        try runToBreakpoint(t, registers: registers, point: point)
    }

    /// Runs `t` to the pass over `registers.rip` where its registers (and, with a point, the
    /// memory fingerprint) are the recorded ones.
    func runToBreakpoint(_ t: ReplayThread, registers: Registers,
                         point: AsyncPoint?) throws {
        // This resume is the log's: a debugger says how it goes before anything is patched.
        let how = try observer?.willResume(self, thread: t) ?? .run
        t.pointReach = .decided(how)
        defer { t.pointReach = .none }
        let string = stringPoint(at: registers.rip)
        if let string, try continueInString(t, string, to: registers, point: point) { return }
        if how == .run, let stub = try filterStub(for: t, at: registers, string: string),
           try runThroughStub(t, stub, registers: registers, point: point, string: string) {
            return
        }
        let clock = ThreadCPUClock(tid: t.realTid)
        let start = clock?.nanos() ?? 0
        // A string instruction's pc is passed once per copy, not once per loop iteration: the
        // walk alone is quick there, and a fast-forward would stop inside some copy.
        if let point, string == nil { try fastForward(t, clock: clock, start: start, cpuNanos: point.cpuNanos) }
        // A loop without syscalls that went past the point never reaches another event, and CPU
        // time cannot tell (each hit costs far more than an iteration): bound each attempt in time.
        // After a fast-forward only the last stretch is walked, so a few times the recorded CPU
        // time is plenty; past that it overshot, and the walk from the start begins sooner.
        let attempt = point.map { 2 + 4 * Double($0.cpuNanos) / 1e9 } ?? .infinity
        let deadline = min(self.deadline, monotonicSeconds() + (fastForwardMargin < 1 && point != nil ? min(60, attempt) : .infinity))
        try withReplayBreakpoint(t, at: registers.rip) {
            try walkBreakpointHits(t, registers: registers, point: point, string: string, deadline: deadline)
        }
    }

    /// Sets the replay's execute breakpoint (DR0) on `address` for `t` while `body` runs. DR1-DR3
    /// (a debugger's watchpoints, or a patch's watched resume places) keep their bits.
    func withReplayBreakpoint<T>(_ t: ReplayThread, at address: UInt64, _ body: () throws -> T) throws -> T {
        try armReplayBreakpoint(t, at: address)
        defer {
            do {
                try disarmReplayBreakpoint(t)
            } catch {
                logger.warning("could not clear the replay's breakpoint in thread \(t.recordedTid): \(error)")
            }
        }
        return try body()
    }

    func armReplayBreakpoint(_ t: ReplayThread, at address: UInt64) throws {
        try t.tracee.setDebugRegister(0, address)
        try t.tracee.setDebugRegister(7, try t.tracee.debugRegister(7) | 1)
    }

    func disarmReplayBreakpoint(_ t: ReplayThread) throws {
        try t.tracee.setDebugRegister(7, try t.tracee.debugRegister(7) & ~1)
    }

    /// Resumes `t` from one DR0 hit to the next until the registers (and the point's fingerprint) match.
    private func walkBreakpointHits(_ t: ReplayThread, registers: Registers, point: AsyncPoint?,
                                    string: StringPoint?, deadline: Double) throws {
        var hits = 0
        while true {
            let stop = try advance(t)
            guard case .signal(SIGTRAP, let regs) = stop, regs.rip == registers.rip else {
                logger.debug("async point: thread \(t.recordedTid) \(describe(stop)) after \(hits) hits")
                if point != nil { throw Overshoot() }  // an earlier fast-forward may have overshot: again without it
                throw Divergence("thread \(t.recordedTid) never reached pc 0x\(hex(registers.rip)) with the recorded registers, where an asynchronous signal arrived; instead it \(describe(stop))")
            }
            hits += 1
            if let string, let reached = try runIterations(t, string, from: regs, to: registers, point: point) {
                if reached { return }
                try armReplayBreakpoint(t, at: registers.rip)  // the iterations ran to a breakpoint of their own
            } else if !(try sameState(regs, registers)) {
                logger.trace("hit \(hits): registers differ: \(regs.differences(from: registers).joined(separator: ", "))")
            } else {
                logger.trace("registers match at hit \(hits)")
                if fingerprintHolds(point) {
                    if point != nil { logger.debug("async point reached after \(hits) breakpoint hits") }
                    return
                }
            }
            if hits % 256 == 0, monotonicSeconds() > deadline {
                logger.debug("async point not reached after \(hits) breakpoint hits")
                if monotonicSeconds() > self.deadline { throw Divergence("replay took longer than \(options.timeLimit ?? 0) s") }
                if point != nil { throw Overshoot() }
            }
        }
    }

    /// Lets the thread run freely for most of the CPU time it used before the signal when
    /// recorded, so that only the last stretch is walked breakpoint hit by breakpoint
    /// (each hit is a round trip through the tracer: ~50-100 us in these VMs).
    func fastForward(_ t: ReplayThread, clock: ThreadCPUClock?, start: UInt64, cpuNanos: UInt64) throws {
        // A debugger's breakpoints must see every instruction: no free running then.
        guard let clock, fastForwardMargin < 1, observer == nil else { return }
        let margin = UInt64(Double(cpuNanos) * fastForwardMargin) + 20_000
        guard cpuNanos > margin else { return }
        let target = start + cpuNanos - margin
        try t.tracee.resumeSyscall(signal: t.signalToDeliver)
        t.signalToDeliver = 0
        t.atExitStop = false
        while true {
            if let w = try waitForTask(t.realTid, noHang: true) {
                throw Divergence("thread \(t.recordedTid) stopped (\(w.status)) before reaching the point of an asynchronous signal")
            }
            guard let now = clock.nanos(), now < target else { break }
            var pause = timespec(tv_sec: 0, tv_nsec: Int(min(1_000_000, max(20_000, (target - now) / 2))))
            nanosleep(&pause, nil)
        }
        _ = vp_tgkill(pid, t.realTid, SIGSTOP)
        guard let w = try waitForTask(t.realTid), case .signalStop(SIGSTOP) = w.status else {
            throw Divergence("thread \(t.recordedTid) did not stop on its way to an asynchronous signal")
        }
        // The SIGSTOP is suppressed: the next resume passes no signal.
    }

    func answerTimestamp(_ t: ReplayThread, pc: UInt64, value: UInt64, aux: UInt32?) throws {
        let stop = try advance(t)
        guard case .signal(SIGSEGV, var regs) = stop, regs.rip == pc else {
            throw Divergence("thread \(t.recordedTid) should have executed rdtsc at pc 0x\(hex(pc)) but \(describe(stop))")
        }
        regs.rax = value & 0xffff_ffff
        regs.rdx = value >> 32
        if let aux {
            regs.rcx = UInt64(aux)
            regs.rip += 3
        } else {
            regs.rip += 2
        }
        try t.tracee.setRegisters(regs)
    }

    // MARK: the end

    func finish(_ t: ReplayThread, status: Int32) throws {
        let signal = status & 0x7f
        if let check = options.endCheck, let memory, let mismatch = check(memory) { throw Divergence(mismatch) }
        if signal != 0 {
            endSignal = nil
            endRegisters = t.lastSignalRegisters
            // Only a fault the kernel raised (si_code > 0) has an address; a re-raise by kill has the sender's pid there.
            let code = t.lastSiginfo.count >= 24 ? t.lastSiginfo.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) } : 0
            if code > 0, [SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP].contains(signal) {
                endFaultAddress = t.lastSiginfo.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) }
            }
        }
        switch try drainExit(first: t) {
        case .signaled(let s, _):
            endSignal = s
            if signal == 0 { throw Divergence("the replayed process died of signal \(s) instead of exiting") }
        case .exited(let code):
            endExitCode = code
            if signal != 0 { throw Divergence("the replayed process exited with code \(code) instead of dying of signal \(signal)") }
        default:
            throw Divergence("the replayed process did not end")
        }
    }

    /// Lets the process end as it did when recorded (the fatal signal or the exit call of `first`
    /// goes ahead), resuming every thread through its exit stop. Returns the group leader's status.
    func drainExit(first: ReplayThread) throws -> WaitStatus {
        _ = try observer?.willResume(self, thread: first)  // the debugger sees the fatal signal first
        let sig = first.signalToDeliver
        first.signalToDeliver = 0
        try first.tracee.resumeSyscall(signal: sig)
        // The other threads stay stopped at their last event: the group exit's SIGKILL wakes and
        // ends them there. Resumed, they would run code past the recording (a page of libc the
        // bundle lacks, a syscall the log does not have).
        // Only this replay's tasks are waited for (a trial replay runs inside the recorder, whose
        // other tracees must keep their events), the group leader last: it reports when all ended.
        let order = threads.values.filter { $0.realTid != pid } + threads.values.filter { $0.realTid == pid }
        for t in order where !t.exited {
            while let w = try waitForTask(t.realTid) {
                if w.status.isTerminal {
                    t.exited = true
                    if w.tid == pid {
                        try observer?.ended(self, status: w.status)
                        return w.status
                    }
                    break
                }
                if case .event(.exit, _) = w.status, t === first, endSignal == nil, endRegisters == nil {
                    endRegisters = try? first.tracee.registers()
                }
                try? t.tracee.resume()
            }
        }
        throw Divergence("the replayed process vanished without an exit status")
    }

    /// Differences between the replayed end and the recorded one, or nil when reproduced.
    func compareEnd() -> String? {
        let crash = bundle.manifest.crash
        if let s = crash.signal {
            guard endSignal == s else { return "replay ended without signal \(s)" }
            guard let regs = endRegisters else { return "no registers at the replayed signal" }
            if regs.rip != crash.pc {
                return "signal \(s) arrived at pc 0x\(hex(regs.rip)), recorded at 0x\(hex(crash.pc))"
            }
            if let recorded = crash.threads.first(where: { $0.tid == crash.tid })?.registers {
                let diff = regs.differences(from: recorded)
                if !diff.isEmpty { return "registers differ at the end: \(diff.joined(separator: ", "))" }
            }
            if let fa = crash.faultAddress, fa != endFaultAddress ?? 0 {
                return "fault address 0x\(hex(endFaultAddress ?? 0)) differs from recorded 0x\(hex(fa))"
            }
            return nil
        }
        guard endExitCode == crash.exitCode else {
            return "replay ended with exit code \(endExitCode.map(String.init) ?? "none"), recorded \(crash.exitCode.map(String.init) ?? "none")"
        }
        return nil
    }
}

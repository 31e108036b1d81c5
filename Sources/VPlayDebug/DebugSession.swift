import Glibc
import Logging
import VPlayBundle
import VPlayGDB
import VPlayKernel
import VPlayReplay

/// gdb ended the session (kill, detach, disconnect).
struct SessionEnded: ReplayInterruption {}

/// The debugger inside a replay, on the tracer thread: breakpoints, watchpoints, single steps,
/// stop reports to gdb, and the re-runs that make reverse execution (replay is deterministic,
/// so going back means running again from the window start to an earlier point).
final class DebugSession: ReplayObserver {
    let channel: DebugChannel
    let logger: Logger
    /// Most single steps a re-run takes to find a point (at ~30 us each).
    static let stepLimit = 20_000_000

    // What the user set; survives re-runs.
    var softwareBreakpoints: Set<UInt64> = []
    /// Debug registers 1-3; DR0 belongs to the replay (asynchronous signals).
    var slots: [GDBBreakpoint?] = [nil, nil, nil]
    /// Where the current re-run is going, if it is one.
    var goal: SeekGoal?
    private(set) var current = GDBStopEvent(thread: nil, reason: .signal(SIGTRAP))
    private(set) var currentPosition: Position?
    private var pendingReply: ((GDBStopEvent) -> Void)?
    private var request: GDBResumeRequest?
    private var started = false
    /// The final stop once the process is gone.
    private(set) var final: GDBStopEvent?

    // Per run.
    private(set) var replayer: Replayer?
    private var planted: [UInt64: UInt8] = [:]
    private var armed: Set<Int32> = []
    private var naturalCount: [Int32: Int] = [:]
    private var userOrdinals: [Int32: [Int]] = [:]
    private var stepsSinceNatural: [Int32: Int] = [:]
    private var afterClaim: Set<Int32> = []
    private var pendingStop: [Int32: GDBStopReason] = [:]
    private var lastMode: [Int32: ReplayResume] = [:]
    private var stepOver: [Int32: (address: UInt64, thenRun: Bool)] = [:]
    // Seeking.
    private var traps: [RecordedTrap] = []
    private var seekSteps: [Int32: Int] = [:]
    private var counting: (thread: Int32, steps: Int)?
    private var internalBreakpoint: UInt64?

    init(channel: DebugChannel, logger: Logger) {
        self.channel = channel
        self.logger = logger
    }

    /// A new run of the replay begins.
    func begin(_ replayer: Replayer) {
        self.replayer = replayer
        planted = [:]
        armed = []
        naturalCount = [:]
        userOrdinals = [:]
        stepsSinceNatural = [:]
        afterClaim = []
        pendingStop = [:]
        lastMode = [:]
        stepOver = [:]
        traps = []
        seekSteps = [:]
        counting = nil
        internalBreakpoint = nil
    }

    // MARK: ReplayObserver

    func willResume(_ replayer: Replayer, thread t: ReplayThread) throws -> ReplayResume {
        let tid = t.recordedTid
        // On its way to a point in user mode, only the resume that set off is the log's: the
        // ones after it belong to the mechanism (a stub or a breakpoint walk), which may differ
        // between re-runs as breakpoints come and go.
        let natural = afterClaim.remove(tid) == nil && !t.isReachingPoint
        if natural {
            naturalCount[tid, default: 0] += 1
            stepsSinceNatural[tid] = 0
        }
        if t.inSyscall { return .run }  // inside an emulated call: nothing to see or step
        if natural { userOrdinals[tid, default: []].append(naturalCount[tid] ?? 0) }
        try arm(t)
        let here = Position(thread: tid, ordinal: naturalCount[tid] ?? 0, steps: stepsSinceNatural[tid],
                            registers: try t.tracee.registers())
        if goal != nil, let mode = try seek(t, here, natural: natural) { return mode }
        return try interactive(t, here, natural: natural)
    }

    func trapped(_ replayer: Replayer, thread t: ReplayThread, registers: Registers, debugStatus: UInt64) throws -> Bool {
        let tid = t.recordedTid
        let stepTrap = debugStatus & 0x4000 != 0
        var regs = registers
        var reason: GDBStopReason
        var slot: Int?
        if let over = stepOver[tid], stepTrap {
            stepOver[tid] = nil
            if softwareTrapsLive && softwareBreakpoints.contains(over.address) || internalBreakpoint == over.address {
                try plant(over.address)
            }
            countStep(tid)
            afterClaim.insert(tid)
            if over.thenRun, goal == nil || counting == nil { return true }
            reason = .signal(SIGTRAP)
        } else if let s = (1...3).first(where: { debugStatus & (1 << UInt64($0)) != 0 }), let bp = slots[s - 1] {
            slot = s
            reason = bp.kind == .hardware ? .hardwareBreakpoint : .watchpoint(watchKind(bp.kind), address: bp.address)
            if stepTrap { countStep(tid) }
        } else if planted[regs.rip &- 1] != nil || internalBreakpoint == regs.rip &- 1 {
            regs.rip -= 1
            try t.tracee.setRegisters(regs)
            reason = .softwareBreakpoint
        } else if stepTrap {
            countStep(tid)
            reason = .signal(SIGTRAP)
        } else {
            return false  // the replay's own breakpoint (DR0) or the program's trap
        }
        afterClaim.insert(tid)
        if goal != nil {
            try seekTrap(t, regs: regs, reason: reason, slot: slot, stepTrap: stepTrap)
            return true
        }
        pendingStop[tid] = reason
        return true
    }

    func permitsFilterStub(_ replayer: Replayer, thread: ReplayThread, covering: Range<UInt64>) -> Bool {
        let breakpoints = softwareBreakpoints.union(planted.keys).union(internalBreakpoint.map { [$0] } ?? [])
        return slots.allSatisfy { $0 == nil } && !breakpoints.contains(where: covering.contains)
    }

    func ended(_ replayer: Replayer, status: WaitStatus) throws {
        let event: GDBStopEvent
        switch status {
        case .exited(let code): event = GDBStopEvent(thread: nil, reason: .exited(code: code))
        case .signaled(let s, _): event = GDBStopEvent(thread: nil, reason: .terminated(signal: s))
        default: event = GDBStopEvent(thread: nil, reason: .terminated(signal: SIGKILL))
        }
        final = event
        if goal == nil { report(event, at: nil) }
    }

    // MARK: stops for the user

    private func interactive(_ t: ReplayThread, _ here: Position, natural: Bool) throws -> ReplayResume {
        let tid = t.recordedTid
        var reason = pendingStop.removeValue(forKey: tid)
        if !started {
            started = true
            reason = reason ?? .signal(SIGTRAP)
        }
        if reason == nil, t.signalToDeliver != 0 { reason = .signal(t.signalToDeliver) }
        if reason == nil, natural, lastMode[tid] == .step { reason = .signal(SIGTRAP) }  // stepped over a syscall
        if reason == nil, channel.takeInterrupt() { reason = .interrupted }
        if let reason {
            report(GDBStopEvent(thread: tid, reason: reason), at: here)
            try serveUntilResume()
        }
        let action = request?.action(for: tid) ?? .continue(signal: 0)
        return try mode(t, at: here.pc, step: action.isStep)
    }

    /// How to resume: a thread on one of our int3s first steps over the original instruction.
    private func mode(_ t: ReplayThread, at pc: UInt64, step: Bool) throws -> ReplayResume {
        let tid = t.recordedTid
        if planted[pc] != nil {
            try unplant(pc)
            stepOver[tid] = (pc, thenRun: !step)
            lastMode[tid] = .step
            return .step
        }
        lastMode[tid] = step ? .step : .run
        if !step { stepsSinceNatural[tid] = nil }  // running: the step count is unknown from here
        return lastMode[tid] ?? .run
    }

    private func countStep(_ tid: Int32) {
        if let n = stepsSinceNatural[tid] { stepsSinceNatural[tid] = n + 1 }
    }

    func report(_ event: GDBStopEvent, at position: Position?) {
        current = event
        currentPosition = position
        if let reply = pendingReply {
            pendingReply = nil
            reply(event)
        }
    }

    /// Serves gdb's requests while the replay stands still, until gdb resumes it.
    func serveUntilResume() throws {
        while true {
            switch channel.next() {
            case .work(let body):
                body()
            case .resume(let req, let reply):
                pendingReply = reply
                if req.direction == .reverse { try reverse(req) }
                request = req
                return
            case .end:
                throw SessionEnded()
            }
        }
    }

    /// The replay stopped before the recorded end (it diverged, and its process is gone): gdb,
    /// waiting on a resume, is told the program was killed, not left waiting.
    func endWithoutProcess() {
        if final == nil { final = GDBStopEvent(thread: nil, reason: .terminated(signal: SIGKILL)) }
    }

    /// After the process ended: answer a resume still waiting, then requests until gdb ends the session.
    func serveAfterEnd() {
        if let final { report(final, at: nil) }
        while true {
            switch channel.next() {
            case .work(let body): body()
            case .resume(_, let reply): reply(final ?? GDBStopEvent(thread: nil, reason: .exited(code: 0)))
            case .end: return
            }
        }
    }

    // MARK: reverse execution

    private func reverse(_ req: GDBResumeRequest) throws {
        guard let c = currentPosition else {
            throw RestartReplay(goal: .position(Position(thread: 0, ordinal: 1, steps: 0, registers: Registers()), report: .historyBegin))
        }
        let step = req.action(for: c.thread)?.isStep ?? false
        guard step else { throw RestartReplay(goal: .lastTrap(before: c)) }
        switch c.steps {
        case .some(let k) where k > 0:
            throw RestartReplay(goal: .position(Position(thread: c.thread, ordinal: c.ordinal, steps: k - 1, registers: c.registers),
                                                report: .signal(SIGTRAP)))
        case .some:
            // At a resume: one instruction back is the syscall that ended the previous stretch.
            guard let previous = userOrdinals[c.thread]?.last(where: { $0 < c.ordinal }) else {
                throw RestartReplay(goal: .position(startOfHistory(), report: .historyBegin))
            }
            throw RestartReplay(goal: .beforeSyscall(thread: c.thread, ordinal: previous))
        case .none:
            throw RestartReplay(goal: .measure(c, back: 1))
        }
    }

    /// The first point of the replay: the first thread's first resume.
    func startOfHistory() -> Position {
        let first = replayer?.bundle.state.threads.first?.tid ?? 0
        return Position(thread: first, ordinal: 1, steps: 0, registers: Registers())
    }

    // MARK: seeking (re-runs)

    /// At a resume during a re-run: arrive, or keep going. nil means "arrived: report here".
    private func seek(_ t: ReplayThread, _ here: Position, natural: Bool) throws -> ReplayResume? {
        guard let goal else { return nil }
        let tid = t.recordedTid
        let atResume = { (thread: Int32, ordinal: Int) in natural && tid == thread && here.ordinal == ordinal }
        switch goal {
        case .position(let p, let report):
            if p.thread == 0 || atResume(p.thread, p.ordinal) {
                if p.steps == 0 || (p.thread == 0 && natural) { return try arrive(t, here, report) }
                if let k = p.steps {
                    seekSteps[tid] = k
                    return try mode(t, at: here.pc, step: true)
                }
                internalBreakpoint = p.pc
                try plantInternal(p.pc)
            }
            if let remaining = seekSteps[tid] {
                if remaining == 0 {
                    seekSteps[tid] = nil
                    return try arrive(t, here, report)
                }
                return try mode(t, at: here.pc, step: true)
            }
        case .lastTrap(let before):
            if atResume(before.thread, before.ordinal) {
                if before.steps == 0 { try concludeLastTrap() }
                internalBreakpoint = before.pc
                try plantInternal(before.pc)
            }
            return try mode(t, at: here.pc, step: false)
        case .measure(let c, _):
            if atResume(c.thread, c.ordinal) { counting = (tid, 0) }
            if let counting, counting.thread == tid {
                if natural, !atResume(c.thread, c.ordinal) {
                    self.goal = nil  // the point was not in this stretch: stop where we are
                    return try arrive(t, here, .signal(SIGTRAP))
                }
                return try mode(t, at: here.pc, step: true)
            }
        case .beforeSyscall(let thread, let ordinal):
            if let counting, counting.thread == tid, natural {
                // Ended by a syscall, the last step was that call; ended by a fault, the faulting
                // instruction never completed, so the point before it is one step earlier.
                let steps = t.signalToDeliver != 0 ? max(0, counting.steps - 1) : counting.steps
                throw RestartReplay(goal: .position(Position(thread: thread, ordinal: ordinal, steps: steps, registers: Registers()),
                                                    report: .signal(SIGTRAP)))
            }
            if atResume(thread, ordinal) { counting = (tid, 0) }
            if counting?.thread == tid { return try mode(t, at: here.pc, step: true) }
        case .beforeWrite(let thread, let ordinal, _, _, _):
            if atResume(thread, ordinal) { counting = (tid, 0) }
            if counting?.thread == tid { return try mode(t, at: here.pc, step: true) }
        }
        // Another thread, or an earlier pass of this one, may stand on the internal int3: it
        // steps over it like over any planted breakpoint.
        return try mode(t, at: here.pc, step: false)
    }

    /// A trap of ours during a re-run.
    private func seekTrap(_ t: ReplayThread, regs: Registers, reason: GDBStopReason, slot: Int?, stepTrap: Bool) throws {
        guard let goal else { return }
        let tid = t.recordedTid
        if stepTrap, var c = counting, c.thread == tid {
            c.steps += 1
            counting = c
            guard c.steps < Self.stepLimit else {
                self.goal = nil
                pendingStop[tid] = .signal(SIGTRAP)
                return
            }
        }
        let here = Position(thread: tid, ordinal: naturalCount[tid] ?? 0, steps: nil, registers: regs)
        switch goal {
        case .position(let p, let report):
            if let remaining = seekSteps[tid], stepTrap { seekSteps[tid] = remaining - 1 }
            if p.steps == nil, internalBreakpoint == regs.rip, tid == p.thread, here.ordinal == p.ordinal,
               regs.generalPurpose == p.registers.generalPurpose {
                try removeInternal()
                arrived(tid, report)
            }
        case .lastTrap(let before):
            let isBefore = tid == before.thread && here.ordinal == before.ordinal && regs.rip == before.pc
                && regs.generalPurpose == before.registers.generalPurpose
            if isBefore && (internalBreakpoint == regs.rip || planted[regs.rip] != nil) {
                try concludeLastTrap()
            }
            if internalBreakpoint == regs.rip, planted[regs.rip] == nil { return }  // ours, not the user's
            traps.append(RecordedTrap(position: here, reason: reason, slot: slot))
        case .measure(let c, let back):
            guard let counting, counting.thread == tid else { return }
            if regs.generalPurpose == c.registers.generalPurpose {
                let k = counting.steps
                throw RestartReplay(goal: .position(Position(thread: c.thread, ordinal: c.ordinal, steps: max(0, k - back), registers: regs),
                                                    report: .signal(SIGTRAP)))
            }
        case .beforeSyscall:
            break
        case .beforeWrite(let thread, let ordinal, let wslot, let address, let kind):
            guard let counting, counting.thread == tid, slot == wslot else { return }
            throw RestartReplay(goal: .position(Position(thread: thread, ordinal: ordinal, steps: counting.steps - 1, registers: regs),
                                                report: .watchpoint(kind, address: address)))
        }
    }

    /// The point reverse-continue started from is reached: go to the last trap before it.
    private func concludeLastTrap() throws {
        guard let last = traps.last else {
            throw RestartReplay(goal: .position(startOfHistory(), report: .historyBegin))
        }
        if case .watchpoint(let kind, let address) = last.reason, let slot = last.slot {
            // A watchpoint triggers after the write; going backwards, stop before it: step the
            // stretch in which it triggered up to the writing instruction.
            throw RestartReplay(goal: .beforeWrite(thread: last.position.thread, ordinal: last.position.ordinal,
                                                   slot: slot, address: address, kind: kind))
        }
        throw RestartReplay(goal: .position(last.position, report: last.reason))
    }

    private func arrive(_ t: ReplayThread, _ here: Position, _ report: GDBStopReason) throws -> ReplayResume {
        arrived(t.recordedTid, report)
        return try interactive(t, here, natural: false)
    }

    /// The re-run reached its point: the user's breakpoints come back, and the stop is reported.
    private func arrived(_ tid: Int32, _ report: GDBStopReason) {
        goal = nil
        counting = nil
        seekSteps = [:]
        pendingStop[tid] = report
        armed = []  // watchpoints are re-armed thread by thread at their next resume
        for address in softwareBreakpoints where planted[address] == nil { try? plant(address) }
    }

    // MARK: breakpoints and watchpoints

    /// Whether the user's int3 breakpoints are live in this phase (not while stepping to a point).
    private var softwareTrapsLive: Bool {
        guard let goal else { return true }
        if case .lastTrap = goal { return true }
        return false
    }

    /// Whether the user's debug-register breakpoints and watchpoints are live.
    private var userTrapsLive: Bool {
        guard let goal else { return true }
        switch goal {
        case .lastTrap, .beforeWrite: return true
        default: return false
        }
    }

    private func arm(_ t: ReplayThread) throws {
        if planted.isEmpty, softwareTrapsLive {
            for address in softwareBreakpoints where planted[address] == nil { try? plant(address) }
        }
        guard !armed.contains(t.recordedTid) else { return }
        armed.insert(t.recordedTid)
        try applyDebugRegisters(t.tracee)
    }

    func applyDebugRegisters(_ tracee: Tracee) throws {
        var control = ((try? tracee.debugRegister(7)) ?? 0) & 0x3  // keep DR0 (the replay's)
        for (i, bp) in slots.enumerated() {
            guard let bp, userTrapsLive else { continue }
            let n = UInt64(i + 1)
            try tracee.setDebugRegister(Int32(n), bp.address)
            let rw: UInt64 = bp.kind == .hardware ? 0 : bp.kind == .writeWatchpoint ? 1 : 3
            let len: UInt64 = bp.kind == .hardware ? 0 : [1: 0, 2: 1, 4: 3, 8: 2][bp.length] ?? 2
            control |= (1 << (2 * n)) | (rw << (16 + 4 * n)) | (len << (18 + 4 * n))
        }
        try tracee.setDebugRegister(7, control)
    }

    func insert(_ bp: GDBBreakpoint) throws {
        switch bp.kind {
        case .software:
            softwareBreakpoints.insert(bp.address)
            if softwareTrapsLive { try plant(bp.address) }
        default:
            guard let free = slots.firstIndex(where: { $0 == nil }) else {
                throw GDBTargetError.noResources("all three debug registers are in use")
            }
            guard bp.kind == .hardware || [1, 2, 4, 8].contains(bp.length) else {
                throw GDBTargetError.unsupported("a watchpoint of \(bp.length) bytes")
            }
            slots[free] = bp
            try reapplyDebugRegisters()
        }
    }

    func remove(_ bp: GDBBreakpoint) throws {
        switch bp.kind {
        case .software:
            softwareBreakpoints.remove(bp.address)
            if planted[bp.address] != nil, stepOverAddresses.contains(bp.address) == false { try unplant(bp.address) }
        default:
            if let i = slots.firstIndex(of: bp) { slots[i] = nil }
            try reapplyDebugRegisters()
        }
    }

    private var stepOverAddresses: Set<UInt64> { Set(stepOver.values.map(\.address)) }

    private func reapplyDebugRegisters() throws {
        guard let replayer else { return }
        for t in replayer.threads.values where !t.exited { try applyDebugRegisters(t.tracee) }
    }

    private func plant(_ address: UInt64) throws {
        guard planted[address] == nil, let memory = replayer?.debugMemory else { return }
        let original = try memory.read(address, count: 1)
        try memory.write(address, [0xCC])
        planted[address] = original[0]
    }

    private func unplant(_ address: UInt64) throws {
        guard let original = planted.removeValue(forKey: address), let memory = replayer?.debugMemory else { return }
        try memory.write(address, [original])
    }

    private func plantInternal(_ address: UInt64) throws {
        if planted[address] == nil { try plant(address) }
    }

    private func removeInternal() throws {
        guard let address = internalBreakpoint else { return }
        internalBreakpoint = nil
        if !softwareBreakpoints.contains(address) || !softwareTrapsLive { try unplant(address) }
    }

    private func watchKind(_ kind: GDBBreakpointKind) -> GDBWatchKind {
        switch kind {
        case .readWatchpoint: return .read
        case .accessWatchpoint: return .access
        default: return .write
        }
    }

    // MARK: state for gdb

    func threadIDs() -> [GDBThreadID] {
        (replayer?.threads.values.filter { !$0.exited }.map(\.recordedTid) ?? []).sorted()
    }

    func registers(of tid: GDBThreadID) throws -> AMD64Registers {
        guard final == nil, let t = replayer?.threads[tid], !t.exited else { throw GDBTargetError.noSuchThread(tid) }
        let r = try t.tracee.registers()
        var g = AMD64Registers()
        (g.rax, g.rbx, g.rcx, g.rdx, g.rsi, g.rdi, g.rbp, g.rsp) = (r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp)
        (g.r8, g.r9, g.r10, g.r11, g.r12, g.r13, g.r14, g.r15) = (r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15)
        (g.rip, g.eflags, g.cs, g.ss, g.ds, g.es, g.fs, g.gs) = (r.rip, r.eflags, r.cs, r.ss, r.ds, r.es, r.fs, r.gs)
        (g.fsBase, g.gsBase, g.origRax) = (r.fsBase, r.gsBase, r.origRax)
        if let x = try? t.tracee.xstate(), x.count >= 512 { g.fxsave = Array(x.prefix(512)) }
        return g
    }

    /// Memory as the program sees it: our int3s hidden; a page the bundle lacks is an error.
    func read(_ address: UInt64, count: Int) throws -> [UInt8] {
        guard final == nil, let replayer else { throw GDBTargetError.memoryUnavailable(address: address, count: count) }
        var bytes = replayer.readForDebugger(address, count: count)
        guard !bytes.isEmpty else { throw GDBTargetError.memoryUnavailable(address: address, count: count) }
        for (a, original) in planted where a >= address && a < address + UInt64(bytes.count) {
            bytes[Int(a - address)] = original
        }
        return bytes
    }
}

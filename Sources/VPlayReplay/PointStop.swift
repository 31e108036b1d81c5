import Glibc
import VPlayKernel
import VPlayPatch

extension Replayer {
    /// A filter stub for stopping `t` at `registers`, or nil (and why, in the debug log) where
    /// none can be placed: no stub page is near, the code there is unsafe to cover with a jump, or
    /// a debugger's breakpoints or debug registers are in the way. Only `t` runs while the patch
    /// is in, so only `t` can meet it.
    func filterStub(for t: ReplayThread, at registers: Registers, string: StringPoint?) throws -> FilterStub? {
        guard let page = filterPages.first(where: { FilterStub.reaches($0, registers.rip) }) else { return nil }
        do {
            let site = try PatchSite(pc: registers.rip, function: try programCode.function(around: registers.rip, memory: memory),
                                     resumes: signalPoints, guardable: Self.guardRegisters.count)
            guard debuggerPermits(t, site, how: decidedResume(t)) else {
                logger.debug("no filter stub at 0x\(hex(registers.rip)): the debugger's breakpoints are in the way")
                return nil
            }
            return try FilterStub(page: page, site: site, registers: registers, ignoring: string?.string.changedRegisters ?? [])
        } catch {
            logger.debug("no filter stub at 0x\(hex(registers.rip)): \(error)")
            return nil
        }
    }

    /// With a debugger taking part: the thread is to run, not step (`how`), none of the
    /// debugger's breakpoints lie in the covered bytes, and it uses no debug register (a
    /// watchpoint could trigger in the stub's relocated copy).
    func debuggerPermits(_ t: ReplayThread, _ site: PatchSite, how: ReplayResume) -> Bool {
        guard let observer else { return true }
        return how == .run && observer.permitsFilterStub(self, thread: t, covering: site.covered)
    }

    /// How a debugger said the thread resumes next, on its way to a point.
    func decidedResume(_ t: ReplayThread) -> ReplayResume {
        if case .decided(let how) = t.pointReach { return how }
        return t.lastResume
    }

    /// Runs `t` at native speed to the pass where its registers are the recorded ones (and, with
    /// a point, the memory fingerprint too), through `stub`; the patch is gone when it returns.
    /// Where a debugger stops the thread on the way, the patch comes out while it looks, DR0
    /// watches the point meanwhile, and the patch goes back in when the thread runs on.
    /// Returns false when the breakpoint walk must do it instead: after handing the thread its
    /// signal handler, the debugger no longer permits the patch.
    func runThroughStub(_ t: ReplayThread, _ stub: FilterStub, registers: Registers,
                        point: AsyncPoint?, string: StringPoint?) throws -> Bool {
        guard let memory else { return false }
        if try moveOutOfSite(t, stub.site, registers: registers) { return true }
        guard debuggerPermits(t, stub.site, how: decidedResume(t)) else { return false }
        try memory.write(stub.page, stub.bytes)
        try patch(t, stub)
        defer {
            do {
                try unpatch(t)
            } catch {
                logger.warning("could not take the filter stub's patch out of thread \(t.recordedTid): \(error)")
            }
        }
        var matches = 0
        let missed = { (stop: Stop) -> Divergence in
            if matches > 0 { self.missedPoint = self.index }
            return Divergence("thread \(t.recordedTid) never reached pc 0x\(hex(registers.rip)) with the recorded registers, where an asynchronous signal arrived; instead it \(self.describe(stop))")
        }
        while true {
            let stop = try advance(t)
            guard case .signal(SIGTRAP, let trapped) = stop else { throw missed(stop) }
            if case .unpatched = t.pointReach {
                // DR0 on the point while a debugger's stop keeps the patch out.
                guard trapped.rip == registers.rip else { throw Divergence("thread \(t.recordedTid) stopped at 0x\(hex(trapped.rip)) on its way to an asynchronous point") }
                if try sameState(trapped, registers), fingerprintHolds(point) { return true }
                continue
            }
            if stub.site.guarded.contains(trapped.rip) {
                // Come back into the covered bytes (a handler's `ret`): out, unpatched, by steps.
                try memory.write(stub.site.start, stub.site.originalBytes)
                if try moveOutOfSite(t, stub.site, registers: registers) { return true }
                try memory.write(stub.site.start, stub.patch)
                continue
            }
            guard trapped.rip == stub.trapReturn else { throw missed(stop) }
            let here = stub.registersAtPoint(trapped: trapped, savedRSP: try memory.readU64(stub.savedRSPAddress),
                                             savedFlags: try memory.readU64(stub.savedFlagsAddress))
            if let string, !(try sameState(here, registers)) {
                // The stub left rcx, rsi and rdi out: a pass at the start of the string instruction.
                guard string.string.iterations(from: here, to: registers) != nil else { continue }
                matches += 1
                try unpatch(t)
                try t.tracee.setRegisters(here)
                if try runIterations(t, string, from: here, to: registers, point: point) == true { return true }
                try patch(t, stub)
                continue
            }
            matches += 1
            if !fingerprintHolds(point) {
                logger.trace("filter stub: registers match \(matches), memory differs")
                continue  // resumes after the trap: the stub goes on as on a miss
            }
            try unpatch(t)
            try t.tracee.setRegisters(here)
            logger.debug("async point reached through a filter stub at 0x\(hex(registers.rip)) after \(matches) register matches")
            return true
        }
    }

    /// Whether memory is as at `point` (no point: nothing to check), or the point is one whose
    /// first register match is taken (`loosePoints`).
    func fingerprintHolds(_ point: AsyncPoint?) -> Bool {
        guard let point, let memory, !loosePoints.contains(index) else { return true }
        return memoryFingerprint(memory, ranges: point.ranges) == point.fingerprint
    }

    /// Puts the jump in (and the watches on resume places inside the site); `t` then resumes silently.
    func patch(_ t: ReplayThread, _ stub: FilterStub) throws {
        guard let memory else { return }
        try memory.write(stub.site.start, stub.patch)
        try guardResumes(t, stub.site.guarded)
        t.pointReach = .patched(stub)
    }

    /// Takes whatever is in for the point out again: the jump and its watches, or DR0.
    func unpatch(_ t: ReplayThread) throws {
        switch t.pointReach {
        case .patched(let stub):
            try memory?.write(stub.site.start, stub.site.originalBytes)
            try unguardResumes(t, stub.site.guarded)
            t.pointReach = .walking
        case .unpatched:
            try disarmReplayBreakpoint(t)
            t.pointReach = .walking
        case .none, .decided, .walking:
            break
        }
    }

    /// A debugger claimed a trap of `t` while the patch was in: the patch comes out before the
    /// debugger looks at memory, and DR0 watches the point's pc until it goes back in.
    func suspendPatch(_ t: ReplayThread, _ stub: FilterStub) throws {
        try unpatch(t)
        try armReplayBreakpoint(t, at: stub.site.pc)
        t.pointReach = .unpatched(stub)
    }

    /// After the debugger's say on a thread whose patch is out: back in, when the thread runs on
    /// (not steps), outside the site's interior, and the debugger's breakpoints permit it.
    func resumePatch(_ t: ReplayThread, _ stub: FilterStub, how: ReplayResume) throws {
        guard debuggerPermits(t, stub.site, how: how), !stub.site.interior.contains(try t.tracee.registers().rip) else { return }
        try disarmReplayBreakpoint(t)
        try patch(t, stub)
    }

    /// Brings `t` to a place outside the site's interior before the patch goes in: a thread
    /// resuming there would skip the compare or run into the jump's bytes. That place is either
    /// its pc, or, when it is about to take a signal, where the handler returns to (the last
    /// signal's pc): then the handler runs first, to a hardware breakpoint there. Inside, the
    /// thread single-steps out. Returns true when it lands on the point itself.
    func moveOutOfSite(_ t: ReplayThread, _ site: PatchSite, registers: Registers) throws -> Bool {
        let interior = site.interior
        if t.signalToDeliver != 0, let back = t.lastSignalRegisters?.rip, interior.contains(back) {
            try runToAddress(t, back)
        }
        try restoreMaskInFrame(t)
        var here = try t.tracee.registers()
        while interior.contains(here.rip) {
            let sig = t.signalToDeliver
            (t.signalToDeliver, t.atExitStop) = (0, false)
            try t.tracee.singleStep(signal: sig)
            guard let w = try waitForTask(t.realTid), case .signalStop(SIGTRAP) = w.status else {
                throw Divergence("thread \(t.recordedTid) did not stop after a single step at 0x\(hex(here.rip))")
            }
            here = try t.tracee.registers()
            if here.rip == site.pc, try sameState(here, registers) { return true }
        }
        return false
    }

    /// Debug registers a patch may use to watch resume points inside its covered bytes (DR0 is
    /// the breakpoint walk's; with no debugger taking part, DR1-DR3 are free).
    static let guardRegisters: [Int32] = [1, 2, 3]

    /// Execute breakpoints on `addresses` for `t` (DR1..., each enabled locally, length 1).
    func guardResumes(_ t: ReplayThread, _ addresses: [UInt64]) throws {
        guard !addresses.isEmpty else { return }
        var control = try t.tracee.debugRegister(7)
        for (register, address) in zip(Self.guardRegisters, addresses) {
            try t.tracee.setDebugRegister(register, address)
            control |= 1 << (2 * UInt64(register))
            control &= ~(0xF << (16 + 4 * UInt64(register)))  // RW 00 (execute), LEN 00
        }
        try t.tracee.setDebugRegister(7, control)
    }

    func unguardResumes(_ t: ReplayThread, _ addresses: [UInt64]) throws {
        guard !addresses.isEmpty else { return }
        var control = try t.tracee.debugRegister(7)
        for register in Self.guardRegisters.prefix(addresses.count) { control &= ~(3 << (2 * UInt64(register))) }
        try t.tracee.setDebugRegister(7, control)
    }

    /// Runs `t` to its next arrival at `address` (a hardware breakpoint, DR0).
    func runToAddress(_ t: ReplayThread, _ address: UInt64) throws {
        let stop = try withReplayBreakpoint(t, at: address) { try advance(t) }
        guard case .signal(SIGTRAP, let regs) = stop, regs.rip == address else {
            throw Divergence("thread \(t.recordedTid) did not come back to 0x\(hex(address)) from its signal handler; instead it \(describe(stop))")
        }
    }
}

import VPlayKernel
import VPlayPatch

/// A point part-way through a `rep movs`/`rep stos`: the thread was interrupted between two
/// iterations, so no pass over the pc starts with the recorded registers. A pass whose start
/// leads there (`RepeatedString.iterations`) runs just those iterations: rcx is set to their
/// number, the thread runs to the instruction's end, and rcx gets back what was left.
struct StringPoint {
    let string: RepeatedString
    /// The address after the instruction (string instructions always fall through).
    let end: UInt64
}

extension Replayer {
    /// The `rep movs`/`rep stos` at `pc`, or nil when the instruction there is another one or
    /// the bundle's objects do not show it (then the point is reached as any other).
    func stringPoint(at pc: UInt64) -> StringPoint? {
        do {
            guard let i = try programCode.function(around: pc, memory: memory).first(where: { $0.address == pc }),
                  let string = i.repeatedString else { return nil }
            return StringPoint(string: string, end: i.end)
        } catch {
            logger.debug("no decoded instruction at 0x\(hex(pc)): \(error)")
            return nil
        }
    }

    /// A thread already part-way through the string instruction (at an earlier point in it)
    /// goes on from there; one about to take a signal that interrupted it there first runs the
    /// handler, back to the instruction. Returns whether that reached the point.
    func continueInString(_ t: ReplayThread, _ at: StringPoint, to target: Registers, point: AsyncPoint?) throws -> Bool {
        if t.signalToDeliver != 0 {
            guard t.lastSignalRegisters?.rip == target.rip else { return false }
            try runToAddress(t, target.rip)
        }
        return try runIterations(t, at, from: try t.tracee.registers(), to: target, point: point) == true
    }

    /// From `start` (`t`'s registers, the instruction's original bytes in place, DR0 free),
    /// runs the iterations that lead to `target`. Nil when `target` does not lie within this
    /// execution; else whether memory is as at `point`. When it is not, `t` stays at `target`'s
    /// registers, a state the program passes through anyway, and goes on from there.
    func runIterations(_ t: ReplayThread, _ at: StringPoint, from start: Registers, to target: Registers,
                       point: AsyncPoint?) throws -> Bool? {
        guard let count = at.string.iterations(from: start, to: target) else { return nil }
        var regs = start
        regs.rcx = count
        try t.tracee.setRegisters(regs)
        try runToAddress(t, at.end)
        regs = try t.tracee.registers()
        guard regs.rcx == 0 else {
            throw Divergence("thread \(t.recordedTid) left the string instruction at 0x\(hex(target.rip)) with \(regs.rcx) of \(count) iterations to go")
        }
        (regs.rcx, regs.rip) = (target.rcx, target.rip)
        try t.tracee.setRegisters(regs)
        guard regs.generalPurpose == target.generalPurpose else {
            throw Divergence("\(count) iterations of the string instruction at 0x\(hex(target.rip)) in thread \(t.recordedTid) left other registers: \(regs.differences(from: target).joined(separator: ", "))")
        }
        let holds = fingerprintHolds(point)
        logger.debug("async point \(count) iterations into the string instruction at 0x\(hex(target.rip)): memory \(holds ? "matches" : "differs")")
        return holds
    }
}

import Glibc

/// Resumption packets (`c`, `s`, `vCont`, `bc`, `bs`) and stop replies.
extension GDBSession {
    /// `c[addr]`, `Csig[;addr]`, `s[addr]`, `Ssig[;addr]` on the `Hc` thread.
    func simpleResume(_ op: UInt8, _ text: Substring) -> String {
        let step = op == UInt8(ascii: "s") || op == UInt8(ascii: "S")
        var signal: Int32 = 0
        var addressText = text
        if op == UInt8(ascii: "C") || op == UInt8(ascii: "S") {
            let parts = text.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)
            guard let sig = parseSignal(parts[0]) else { return "E16" }
            signal = sig
            addressText = parts.count > 1 ? parts[1] : ""
        }
        guard let thread = resumeThread else { return "E10" }
        if !addressText.isEmpty {
            guard let address = Hex.number(addressText), setPC(address, thread: thread) else { return "E16" }
        }
        let action: GDBResumeAction = step ? .step(signal: signal) : .continue(signal: signal)
        // In all-stop mode a step moves one thread; a continue lets every thread run.
        let request = GDBResumeRequest(actions: [thread: action], others: step ? nil : .continue(signal: 0))
        return run(request)
    }

    /// `vCont;action[:thread]...`: the leftmost action that matches a thread applies.
    func vCont(_ text: Substring) -> String {
        var request = GDBResumeRequest(others: nil)
        for item in text.split(separator: ";") {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard let action = parseAction(parts[0]) else { return "E16" }
            guard parts.count == 2, parts[1] != "-1" else {
                if request.others == nil { request.others = action }
                continue
            }
            guard let thread = parseThread(parts[1]) else { return "E16" }
            if request.actions[thread] == nil { request.actions[thread] = action }
        }
        return run(request)
    }

    /// `bc` / `bs`: only for targets that can run backwards.
    func reverse(_ text: Substring) -> String {
        let caps = target.capabilities
        switch text {
        case "c" where caps.contains(.reverseContinue):
            return run(GDBResumeRequest(others: .continue(signal: 0), direction: .reverse))
        case "s" where caps.contains(.reverseStep):
            guard let thread = resumeThread else { return "E10" }
            return run(GDBResumeRequest(actions: [thread: .step(signal: 0)], others: nil, direction: .reverse))
        default:
            return ""
        }
    }

    /// The thread `c`/`s`/`bs` address: gdb's `Hc` choice, else the last stop's, else the first.
    private var resumeThread: GDBThreadID? { continueThread ?? lastStop.thread ?? (try? target.threads().first) }

    /// Resumes with the interrupt watcher on, then reports the stop.
    private func run(_ request: GDBResumeRequest) -> String {
        guard !lastStop.reason.isFinal else { return "E01" }
        if channel.takeQueuedInterrupt() { target.interruptHandler() }
        watcher.start(interrupt: target.interruptHandler)
        let event: GDBStopEvent
        do {
            event = try target.resume(request)
        } catch {
            channel.unread(watcher.stop())
            return errorReply(error, "resume \(request)")
        }
        channel.unread(watcher.stop())
        lastStop = event
        if let thread = event.thread {
            generalThread = thread
            continueThread = thread
        }
        return stopReply(event)
    }

    func stopReply(_ event: GDBStopEvent) -> String {
        var shown = event
        if !gdbReportsBreakKinds, shown.reason == .softwareBreakpoint || shown.reason == .hardwareBreakpoint {
            shown.reason = .signal(SIGTRAP)
        }
        let registers = event.reason.isFinal ? nil : event.thread.flatMap { try? target.readRegisters(thread: $0) }
        return StopReply.encode(shown, registers: registers)
    }

    private func parseAction(_ text: Substring) -> GDBResumeAction? {
        guard let op = text.first else { return nil }
        let rest = text.dropFirst()
        switch op {
        case "c": return rest.isEmpty ? .continue(signal: 0) : nil
        case "s": return rest.isEmpty ? .step(signal: 0) : nil
        case "C": return parseSignal(rest).map { .continue(signal: $0) }
        case "S": return parseSignal(rest).map { .step(signal: $0) }
        default: return nil  // t (non-stop) and r (range step) are not offered
        }
    }

    /// A gdb signal number (two hex digits) as a Linux one.
    private func parseSignal(_ text: Substring) -> Int32? {
        guard let n = Hex.number(text), let gdbNumber = UInt8(exactly: n) else { return nil }
        return GDBSignal.toLinux(gdbNumber)
    }

    private func setPC(_ address: UInt64, thread: GDBThreadID) -> Bool {
        guard var regs = try? target.readRegisters(thread: thread) else { return false }
        regs.rip = address
        return (try? target.writeRegisters(regs, thread: thread)) != nil
    }
}

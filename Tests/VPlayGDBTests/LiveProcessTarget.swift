// A GDBTarget over a live, ptrace'd, single-threaded child process: what the end-to-end
// tests drive the real gdb against. All requests come from the thread that created it.

import CVPlay
import VPlayTestSupport
import Foundation
import Glibc
import VPlayGDB
import VPlayKernel

/// An interrupt request latched for the resume loop; set from the server's watcher thread.
final class InterruptLatch: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false

    func set() {
        lock.lock()
        requested = true
        lock.unlock()
    }

    /// Whether a request was pending; clears it.
    func take() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let was = requested
        requested = false
        return was
    }
}

final class LiveProcessTarget: GDBTarget {
    let pid: Int32
    let tracee: Tracee
    let memory: ProcessMemory
    private(set) var currentStop: GDBStopEvent
    /// Original bytes under planted int3 instructions.
    var softwareBreakpoints: [UInt64: UInt8] = [:]
    /// What occupies debug registers DR0-DR3, and which breakpoint each belongs to.
    var debugSlots: [DebugSlot?] = [nil, nil, nil, nil]
    private let latch = InterruptLatch()
    private var reaped = false

    let capabilities: GDBTargetCapabilities = []
    let files = GDBFileProvider.hostFilesystem()

    /// Starts `argv` traced and stopped at its exec (the dynamic loader's entry), like gdbserver.
    static func launch(_ argv: [String]) throws -> LiveProcessTarget {
        let child = try spawnGated(argv)
        defer { close(child.gate) }
        do {
            try Tracee.seize(child.pid, options: [.exitKill, .traceExec])
            var byte: UInt8 = 1
            _ = write(child.gate, &byte, 1)
            while let w = try waitForTask(child.pid) {
                if case .event(.exec, _) = w.status { return try LiveProcessTarget(pid: child.pid) }
                guard !w.status.isTerminal else { throw TestFailure("\(argv[0]) ended before exec: \(w.status)") }
                try Tracee(child.pid).resume()
            }
            throw TestFailure("\(argv[0]) vanished before exec")
        } catch {
            killAndReap(child.pid)
            throw error
        }
    }

    private init(pid: Int32) throws {
        self.pid = pid
        self.tracee = Tracee(pid)
        self.memory = try ProcessMemory(pid: pid)
        self.currentStop = GDBStopEvent(thread: pid, reason: .signal(SIGTRAP))
    }

    /// SIGKILLs and reaps the process unless it was already reaped.
    func end() {
        guard !reaped else { return }
        reaped = true
        killAndReap(pid)
    }

    // MARK: Threads and registers

    func threads() throws -> [GDBThreadID] {
        currentStop.reason.isFinal ? [] : [pid]
    }

    func readRegisters(thread: GDBThreadID) throws -> AMD64Registers {
        try checkThread(thread)
        var raw = user_regs_struct()
        try check(vp_getregs(pid, &raw), "PTRACE_GETREGS")
        var r = AMD64Registers()
        r.generalPurpose = [raw.rax, raw.rbx, raw.rcx, raw.rdx, raw.rsi, raw.rdi, raw.rbp, raw.rsp,
                            raw.r8, raw.r9, raw.r10, raw.r11, raw.r12, raw.r13, raw.r14, raw.r15]
        (r.rip, r.eflags, r.origRax, r.fsBase, r.gsBase) = (raw.rip, raw.eflags, raw.orig_rax, raw.fs_base, raw.gs_base)
        r.segments = [raw.cs, raw.ss, raw.ds, raw.es, raw.fs, raw.gs]
        r.fxsave = Array(try tracee.xstate().prefix(512))
        return r
    }

    func writeRegisters(_ r: AMD64Registers, thread: GDBThreadID) throws {
        try checkThread(thread)
        var raw = user_regs_struct()
        try check(vp_getregs(pid, &raw), "PTRACE_GETREGS")
        let g = r.generalPurpose
        (raw.rax, raw.rbx, raw.rcx, raw.rdx, raw.rsi, raw.rdi, raw.rbp, raw.rsp) = (g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7])
        (raw.r8, raw.r9, raw.r10, raw.r11, raw.r12, raw.r13, raw.r14, raw.r15) = (g[8], g[9], g[10], g[11], g[12], g[13], g[14], g[15])
        (raw.rip, raw.eflags, raw.orig_rax, raw.fs_base, raw.gs_base) = (r.rip, r.eflags, r.origRax, r.fsBase, r.gsBase)
        try check(vp_setregs(pid, &raw), "PTRACE_SETREGS")
        var xstate = try tracee.xstate()
        guard xstate.count >= 512, r.fxsave.count == 512, Array(xstate.prefix(512)) != r.fxsave else { return }
        xstate.replaceSubrange(0..<512, with: r.fxsave)
        try tracee.setXstate(xstate)
    }

    private func checkThread(_ thread: GDBThreadID) throws {
        guard thread == pid, !currentStop.reason.isFinal else { throw GDBTargetError.noSuchThread(thread) }
    }

    private func check(_ result: Int32, _ what: String) throws {
        if result < 0 { throw GDBTargetError.failed("\(what) of \(pid)", errno: -result) }
    }

    // MARK: Memory

    /// The readable prefix of the range, with planted breakpoints showing their original bytes.
    func readMemory(at address: UInt64, count: Int) throws -> [UInt8] {
        var bytes = try readablePrefix(address, count)
        for (bp, original) in softwareBreakpoints where bp >= address && bp < address + UInt64(bytes.count) {
            bytes[Int(bp - address)] = original
        }
        return bytes
    }

    private func readablePrefix(_ address: UInt64, _ count: Int) throws -> [UInt8] {
        if let all = try? memory.read(address, count: count) { return all }
        var out: [UInt8] = []
        var cursor = address
        while out.count < count {
            let chunk = min(count - out.count, Int(0x1000 - (cursor & 0xfff)))
            guard let bytes = try? memory.read(cursor, count: chunk) else { break }
            out += bytes
            cursor += UInt64(chunk)
        }
        guard !out.isEmpty else { throw GDBTargetError.memoryUnavailable(address: address, count: count) }
        return out
    }

    /// Writes keep planted breakpoints planted: what lies under them is updated instead.
    func writeMemory(at address: UInt64, bytes: [UInt8]) throws {
        var toWrite = bytes
        for (bp, _) in softwareBreakpoints where bp >= address && bp < address + UInt64(bytes.count) {
            softwareBreakpoints[bp] = bytes[Int(bp - address)]
            toWrite[Int(bp - address)] = 0xcc
        }
        do {
            try memory.write(address, toWrite)
        } catch {
            throw GDBTargetError.memoryUnavailable(address: address, count: bytes.count)
        }
    }

    // MARK: Execution

    var interruptHandler: @Sendable () -> Void {
        { [latch, pid] in
            latch.set()
            Glibc.kill(pid, SIGSTOP)
        }
    }

    func resume(_ request: GDBResumeRequest) throws -> GDBStopEvent {
        guard request.direction == .forward else { throw GDBTargetError.unsupported("reverse execution") }
        guard let action = request.action(for: pid) else { return currentStop }
        var signal = action.signal
        while true {
            if action.isStep { try tracee.singleStep(signal: signal) } else { try tracee.resume(signal: signal) }
            signal = 0
            guard let w = try waitForTask(pid) else { throw TestFailure("pid \(pid) vanished") }
            if let event = try classify(w.status) {
                currentStop = event
                if event.reason.isFinal { reaped = true }
                return event
            }
        }
    }

    /// The stop to report, or nil for a stop gdb should not see (the loop resumes).
    private func classify(_ status: WaitStatus) throws -> GDBStopEvent? {
        switch status {
        case let .exited(code): return GDBStopEvent(thread: nil, reason: .exited(code: code))
        case let .signaled(sig, _): return GDBStopEvent(thread: nil, reason: .terminated(signal: sig))
        case .signalStop(SIGTRAP): return GDBStopEvent(thread: pid, reason: try trapReason())
        case .signalStop(SIGSTOP) where latch.take(), .event(.stop, _) where latch.take():
            return GDBStopEvent(thread: pid, reason: .interrupted)
        case let .signalStop(sig): return GDBStopEvent(thread: pid, reason: .signal(sig))
        case .event, .syscallStop: return nil
        }
    }

    /// Tells a breakpoint, watchpoint or finished step apart (debug status, then int3).
    private func trapReason() throws -> GDBStopReason {
        if let hit = try debugRegisterHit() { return hit }
        var regs = try readRegisters(thread: pid)
        if softwareBreakpoints[regs.rip &- 1] != nil {
            // The trap fired after the int3: back to the breakpoint's address, as gdb expects.
            regs.rip -= 1
            try writeRegisters(regs, thread: pid)
            return .softwareBreakpoint
        }
        return .signal(SIGTRAP)
    }

    func kill() throws { end() }

    func detach() throws {
        for (address, _) in softwareBreakpoints {
            try? removeBreakpoint(GDBBreakpoint(kind: .software, address: address, length: 1))
        }
        try? tracee.detach()
    }

    // MARK: Process information

    func executablePath() throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    func auxiliaryVector() throws -> [UInt8] {
        try ProcFS.readBytes("/proc/\(pid)/auxv")
    }
}

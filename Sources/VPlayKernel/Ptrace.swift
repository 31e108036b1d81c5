import CVPlay
import Glibc
import VPlayABI

/// ptrace request numbers and options (linux/ptrace.h).
public enum PtraceRequest {
    public static let peekData: Int32 = 2
    public static let cont: Int32 = 7
    public static let kill: Int32 = 8
    public static let singleStep: Int32 = 9
    public static let detach: Int32 = 17
    public static let syscall: Int32 = 24
    public static let setOptions: Int32 = 0x4200
    public static let getEventMsg: Int32 = 0x4201
    public static let seize: Int32 = 0x4206
    public static let interrupt: Int32 = 0x4207
    public static let listen: Int32 = 0x4208
    public static let getSyscallInfo: Int32 = 0x420e
}

public struct PtraceOptions: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let traceSysGood = PtraceOptions(rawValue: 1)
    public static let traceFork = PtraceOptions(rawValue: 2)
    public static let traceVfork = PtraceOptions(rawValue: 4)
    public static let traceClone = PtraceOptions(rawValue: 8)
    public static let traceExec = PtraceOptions(rawValue: 0x10)
    public static let traceExit = PtraceOptions(rawValue: 0x40)
    public static let traceSeccomp = PtraceOptions(rawValue: 0x80)
    public static let exitKill = PtraceOptions(rawValue: 1 << 20)
}

/// Which syscall stop a task is in (PTRACE_GET_SYSCALL_INFO op).
public enum SyscallStopKind: UInt8, Sendable {
    case none = 0, entry = 1, exit = 2, seccomp = 3
}

/// One traced thread. All requests must come from the thread that attached it.
public struct Tracee: Hashable, Sendable {
    public let tid: Int32
    public init(_ tid: Int32) { self.tid = tid }

    private func request(_ req: Int32, _ name: String, addr: UInt = 0, data: UInt = 0) throws {
        if vp_ptrace(req, tid, addr, data) == -1 {
            throw KernelError(name, pid: tid, errno: vp_errno())
        }
    }

    public static func seize(_ tid: Int32, options: PtraceOptions) throws {
        if vp_ptrace(PtraceRequest.seize, tid, 0, options.rawValue) == -1 {
            throw KernelError("PTRACE_SEIZE", pid: tid, errno: vp_errno(),
                              hint: "vplay needs CAP_SYS_PTRACE (run as root) and kernel.yama.ptrace_scope <= 1")
        }
    }

    public func setOptions(_ options: PtraceOptions) throws {
        try request(PtraceRequest.setOptions, "PTRACE_SETOPTIONS", data: options.rawValue)
    }

    /// Resumes to the next syscall stop (or any other stop), delivering `signal` if non-zero.
    public func resumeSyscall(signal: Int32 = 0) throws {
        try request(PtraceRequest.syscall, "PTRACE_SYSCALL", data: UInt(signal))
    }

    public func resume(signal: Int32 = 0) throws {
        try request(PtraceRequest.cont, "PTRACE_CONT", data: UInt(signal))
    }

    public func singleStep(signal: Int32 = 0) throws {
        try request(PtraceRequest.singleStep, "PTRACE_SINGLESTEP", data: UInt(signal))
    }

    public func interrupt() throws {
        try request(PtraceRequest.interrupt, "PTRACE_INTERRUPT")
    }

    public func listen() throws {
        try request(PtraceRequest.listen, "PTRACE_LISTEN")
    }

    public func detach(signal: Int32 = 0) throws {
        try request(PtraceRequest.detach, "PTRACE_DETACH", data: UInt(signal))
    }

    public func eventMessage() throws -> UInt {
        var value: UInt = 0
        let r = withUnsafeMutablePointer(to: &value) {
            vp_ptrace(PtraceRequest.getEventMsg, tid, 0, UInt(bitPattern: $0))
        }
        if r == -1 { throw KernelError("PTRACE_GETEVENTMSG", pid: tid, errno: vp_errno()) }
        return value
    }

    public func syscallStopKind() throws -> SyscallStopKind {
        var buf = [UInt8](repeating: 0, count: 88)
        let r = buf.withUnsafeMutableBytes {
            vp_ptrace(PtraceRequest.getSyscallInfo, tid, UInt($0.count), UInt(bitPattern: $0.baseAddress))
        }
        if r == -1 { throw KernelError("PTRACE_GET_SYSCALL_INFO", pid: tid, errno: vp_errno()) }
        return SyscallStopKind(rawValue: buf[0]) ?? .none
    }

    public func registers() throws -> Registers {
        var raw = user_regs_struct()
        try check(vp_getregs(tid, &raw), "PTRACE_GETREGS", pid: tid)
        return Registers(raw)
    }

    public func setRegisters(_ regs: Registers) throws {
        var raw = regs.raw
        try check(vp_setregs(tid, &raw), "PTRACE_SETREGS", pid: tid)
    }

    public func xstate() throws -> [UInt8] {
        var buf = [UInt8](repeating: 0, count: 16384)
        var len = buf.count
        let r = buf.withUnsafeMutableBytes { vp_getxstate(tid, $0.baseAddress, &len) }
        try check(r, "PTRACE_GETREGSET(NT_X86_XSTATE)", pid: tid)
        return Array(buf.prefix(len))
    }

    public func setXstate(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        let r = bytes.withUnsafeBytes { vp_setxstate(tid, $0.baseAddress, $0.count) }
        try check(r, "PTRACE_SETREGSET(NT_X86_XSTATE)", pid: tid)
    }

    /// The raw 128-byte siginfo of the current signal-delivery stop.
    public func siginfo() throws -> [UInt8] {
        var info = siginfo_t()
        try check(vp_getsiginfo(tid, &info), "PTRACE_GETSIGINFO", pid: tid)
        return withUnsafeBytes(of: &info) { Array($0) }
    }

    /// Whether the pending signal stop is a SIGSTOP the kernel itself sent (si_code SI_KERNEL):
    /// the BPF logger's stop for the tracer (a tracee's own ptrace cannot attach to it, and the
    /// kernel sends SIGSTOP for nothing else), never the program's.
    public func isLoggerStop(_ signal: Int32) -> Bool {
        guard signal == SIGSTOP, let info = try? siginfo() else { return false }
        return info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) } == 0x80
    }

    public func setSiginfo(_ bytes: [UInt8]) throws {
        var info = siginfo_t()
        withUnsafeMutableBytes(of: &info) { dst in
            for i in 0..<min(dst.count, bytes.count) { dst[i] = bytes[i] }
        }
        try check(vp_setsiginfo(tid, &info), "PTRACE_SETSIGINFO", pid: tid)
    }

    /// The blocked-signal mask (PTRACE_GETSIGMASK): bit n-1 for signal n.
    public func signalMask() throws -> UInt64 {
        var mask: UInt64 = 0
        let r = withUnsafeMutablePointer(to: &mask) { vp_ptrace(0x420a, tid, 8, UInt(bitPattern: $0)) }
        if r == -1 { throw KernelError("PTRACE_GETSIGMASK", pid: tid, errno: vp_errno()) }
        return mask
    }

    public func setSignalMask(_ mask: UInt64) throws {
        var m = mask
        let r = withUnsafeMutablePointer(to: &m) { vp_ptrace(0x420b, tid, 8, UInt(bitPattern: $0)) }
        if r == -1 { throw KernelError("PTRACE_SETSIGMASK", pid: tid, errno: vp_errno()) }
    }

    public func setDebugRegister(_ index: Int32, _ value: UInt64) throws {
        try check(vp_set_debugreg(tid, index, UInt(value)), "PTRACE_POKEUSER(DR\(index))", pid: tid)
    }

    public func debugRegister(_ index: Int32) throws -> UInt64 {
        var v: UInt = 0
        try check(vp_get_debugreg(tid, index, &v), "PTRACE_PEEKUSER(DR\(index))", pid: tid)
        return UInt64(v)
    }
}

/// Waits for a state change of `pid` (-1: any traced task). Retries on EINTR.
/// Returns nil when there is nothing left to wait for (ECHILD) or, with `noHang`, nothing ready.
public func waitForTask(_ pid: Int32 = -1, noHang: Bool = false) throws -> (tid: Int32, status: WaitStatus, raw: Int32)? {
    var status: Int32 = 0
    let flags: Int32 = 0x40000000 | (noHang ? WNOHANG : 0)  // __WALL
    while true {
        let r = waitpid(pid, &status, flags)
        if r > 0 { return (r, WaitStatus(raw: status), status) }
        if r == 0 { return nil }
        let e = vp_errno()
        if e == EINTR { continue }
        if e == ECHILD { return nil }
        throw KernelError("waitpid", pid: pid, errno: e)
    }
}

extension Registers {
    init(_ r: user_regs_struct) {
        self.init()
        (r15, r14, r13, r12, rbp, rbx, r11, r10) = (r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10)
        (r9, r8, rax, rcx, rdx, rsi, rdi, origRax) = (r.r9, r.r8, r.rax, r.rcx, r.rdx, r.rsi, r.rdi, r.orig_rax)
        (rip, cs, eflags, rsp, ss) = (r.rip, r.cs, r.eflags, r.rsp, r.ss)
        (fsBase, gsBase, ds, es, fs, gs) = (r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs)
    }

    var raw: user_regs_struct {
        var r = user_regs_struct()
        (r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10) = (r15, r14, r13, r12, rbp, rbx, r11, r10)
        (r.r9, r.r8, r.rax, r.rcx, r.rdx, r.rsi, r.rdi, r.orig_rax) = (r9, r8, rax, rcx, rdx, rsi, rdi, origRax)
        (r.rip, r.cs, r.eflags, r.rsp, r.ss) = (rip, cs, eflags, rsp, ss)
        (r.fs_base, r.gs_base, r.ds, r.es, r.fs, r.gs) = (fsBase, gsBase, ds, es, fs, gs)
        return r
    }

    /// Syscall arguments in ABI order.
    public var syscallArgs: [UInt64] { [rdi, rsi, rdx, r10, r8, r9] }

    public mutating func setSyscall(_ number: Int32, _ args: [UInt64]) {
        rax = UInt64(bitPattern: Int64(number))
        origRax = rax
        let a = args + Array(repeating: 0, count: max(0, 6 - args.count))
        (rdi, rsi, rdx, r10, r8, r9) = (a[0], a[1], a[2], a[3], a[4], a[5])
    }

    /// The signed syscall return value.
    public var result: Int64 { Int64(bitPattern: rax) }
}

/// Kernel-internal "restart" errnos that never reach user space.
public enum RestartErrno {
    public static let restartSys: Int64 = -512
    public static let restartNoIntr: Int64 = -513
    public static let restartNoHand: Int64 = -514
    public static let restartBlock: Int64 = -516
    public static let restartSyscallNumber: UInt64 = 219

    public static func isRestart(_ v: Int64) -> Bool {
        v == restartSys || v == restartNoIntr || v == restartNoHand || v == restartBlock
    }

    /// Whether the registers are those of a call the kernel interrupted and would restart.
    public static func isInterrupted(_ regs: Registers) -> Bool {
        isRestart(regs.result) && Int64(bitPattern: regs.origRax) >= 0
    }

    /// The registers restarted if they are those of an interrupted call, else unchanged.
    public static func restartedIfInterrupted(_ regs: Registers) -> Registers {
        isInterrupted(regs) ? restarted(regs) : regs
    }

    /// Registers at a syscall stop rewound to the syscall instruction with the call's number,
    /// so that resuming runs the same call again.
    public static func reissued(_ regs: Registers) -> Registers {
        var r = regs
        r.rax = regs.origRax
        r.rip &-= 2
        return r
    }

    /// Registers that re-execute the interrupted call, as the kernel does when no handler runs.
    public static func restarted(_ regs: Registers) -> Registers {
        var r = regs
        r.rax = regs.result == restartBlock ? restartSyscallNumber : regs.origRax
        r.rip &-= 2
        return r
    }
}

/// SIGKILLs a traced task and waits for its end, letting it through its exit stop.
public func killAndReap(_ tid: Int32) {
    kill(tid, SIGKILL)
    // A task already in its (reported) exit stop stays there until continued: SIGKILL does
    // not end that stop, and waiting would never return.
    _ = vp_ptrace(PtraceRequest.cont, tid, 0, 0)
    while let w = try? waitForTask(tid) {
        if w.status.isTerminal { return }
        _ = vp_ptrace(PtraceRequest.cont, tid, 0, 0)
    }
}

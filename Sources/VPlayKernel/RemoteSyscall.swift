@_exported import VPlayABI
import CVPlay
import Glibc
import VPlayABI

/// Runs syscalls inside a stopped tracee: the tracer's only way to change a traced process
/// (snapshots, prctl, signal queries, replay set-up). See docs/architecture.md, "Windows and shadows".
/// The tracee must have been attached with PTRACE_O_TRACESYSGOOD (syscall stops are told from
/// SIGTRAP by it).
public final class RemoteCaller {
    public let tracee: Tracee
    /// Address of a `syscall` instruction in the tracee.
    public let syscallInstruction: UInt64
    /// Registers the thread had when the caller took it over.
    public let original: Registers
    private var atEntryStop: Bool
    /// Stops of other tasks are not ours; events of this thread that are not the syscall stop
    /// (clone/fork events of an injected clone) are collected here for the caller.
    public private(set) var newChildren: [Int32] = []
    /// The thread's blocked-signal mask: every signal is blocked while injecting, so one that
    /// arrives meanwhile stays pending, siginfo intact, until `finish` restores this.
    private let savedMask: UInt64

    /// `atEntryStop`: the thread is in a syscall-entry stop; its pending syscall is replaced by
    /// the first injected call and re-issued when the caller restores (see `finish`).
    public init(_ tracee: Tracee, syscallInstruction: UInt64, atEntryStop: Bool) throws {
        self.tracee = tracee
        self.syscallInstruction = syscallInstruction
        self.atEntryStop = atEntryStop
        self.original = try tracee.registers()
        self.savedMask = try tracee.signalMask()
        try tracee.setSignalMask(~0)
    }

    @discardableResult
    public func call(_ number: Int32, _ args: [UInt64] = []) throws -> Int64 {
        var regs = original
        if atEntryStop {
            // Replace the pending call in place: only orig_rax and the arguments matter here.
            regs.setSyscall(number, args)
            try tracee.setRegisters(regs)
            atEntryStop = false
        } else {
            regs.setSyscall(number, args)
            regs.rip = syscallInstruction
            regs.origRax = UInt64(bitPattern: -1)
            try tracee.setRegisters(regs)
            try tracee.resumeSyscall()
            try waitSyscallStop()
        }
        try tracee.resumeSyscall()
        try waitSyscallStop()
        return try tracee.registers().result
    }

    /// Puts `registers` back (default: the original ones). If the thread was taken at a syscall
    /// entry, or in an interrupted call, the registers are rewound so that call runs again.
    /// Returns the registers installed.
    @discardableResult
    public func finish(restoring registers: Registers? = nil, reissue: Bool) throws -> Registers {
        let base = registers ?? original
        let regs = reissue ? RestartErrno.reissued(base) : RestartErrno.restartedIfInterrupted(base)
        if atEntryStop {
            // Nothing was injected: skip the pending call so it re-executes after resumption.
            var skip = try tracee.registers()
            skip.origRax = UInt64(bitPattern: -1)
            try tracee.setRegisters(skip)
            try tracee.resumeSyscall()
            try waitSyscallStop()
            atEntryStop = false
        }
        try tracee.setRegisters(regs)
        try tracee.setSignalMask(savedMask)
        return regs
    }

    private func waitSyscallStop() throws {
        while true {
            guard let (_, status, _) = try waitForTask(tracee.tid) else {
                throw TraceError("thread \(tracee.tid) vanished during an injected syscall")
            }
            switch status {
            case .syscallStop:
                return
            case .event(let ev, _) where ev == .clone || ev == .fork || ev == .vfork:
                newChildren.append(Int32(truncatingIfNeeded: try tracee.eventMessage()))
                try tracee.resumeSyscall()
            case .exited, .signaled:
                throw TraceError("thread \(tracee.tid) ended during an injected syscall (\(status))")
            case .event(.exit, _):
                throw TraceError("thread \(tracee.tid) is exiting; cannot inject a syscall")
            case .signalStop(let sig) where tracee.isLoggerStop(sig):
                try tracee.resumeSyscall()  // the BPF logger's stop after an injected call: nothing to fetch
            case .signalStop(let sig):
                // Everything else is blocked: this is a fault of the injected call itself.
                let regs = try tracee.registers()
                try? tracee.setSignalMask(savedMask)
                throw TraceError("injected syscall in thread \(tracee.tid) faulted (signal \(sig)) at 0x\(String(regs.rip, radix: 16))")
            default:
                try tracee.resumeSyscall()
            }
        }
    }
}



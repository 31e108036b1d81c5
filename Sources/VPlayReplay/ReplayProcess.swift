import CVPlay
import Glibc
import VPlayBundle
import VPlayKernel
import VPlayPatch
import VPlaySyscalls

/// Adapts ProcessMemory to the syscall table's reader protocol (recorder and replayer).
public struct MemoryReaderAdapter: TraceeMemoryReader {
    let memory: ProcessMemory
    public init(_ memory: ProcessMemory) { self.memory = memory }
    public func read(address: UInt64, count: Int) throws -> [UInt8] { try memory.read(address, count: count) }
}

/// Where an asynchronous signal arrived beyond its registers: the CPU time the thread used
/// since it last left the kernel (0: unknown) and a fingerprint of memory (`memoryFingerprint`).
typealias AsyncPoint = (cpuNanos: UInt64, ranges: [UInt64], fingerprint: UInt64)

/// A replay thread: the recorded tid it plays and the real task that plays it.
public final class ReplayThread {
    public let recordedTid: Int32
    public let realTid: Int32
    /// Syscall the thread is inside: entered, not yet returned, and how replay treats it.
    var pending: PendingCall?
    /// Registers at its last stop, when it is known to be at a syscall exit already.
    var atExitStop = false
    /// Signal to deliver when the thread is next resumed.
    public internal(set) var signalToDeliver: Int32 = 0
    var lastSignalRegisters: Registers?
    var lastSiginfo: [UInt8] = []
    /// Where the thread's next asynchronous signal arrived (CPU time, memory fingerprint).
    var asyncPoint: AsyncPoint?
    public internal(set) var exited = false
    /// Where the kernel clears the tid when the thread exits (pthread_join waits on it).
    var clearChildTid: UInt64?
    /// The mask an emulated sigsuspend-like call would have installed while it waited: the
    /// signal that interrupted it is taken under it.
    var temporaryMask: UInt64?
    /// The mask to put back in the signal frame being delivered (the one from before that call).
    var frameMask: UInt64?
    /// Inside a syscall (entered, not yet returned): it cannot be single-stepped.
    public var inSyscall: Bool { pending != nil }
    /// Where it stands on its way to a point in user mode (a preemption, an asynchronous signal).
    var pointReach: PointReach = .none
    /// How it was last resumed.
    var lastResume: ReplayResume = .run
    /// On its way to a point, past the resume that set off: resumes now are not the log's.
    public var isReachingPoint: Bool {
        switch pointReach {
        case .none, .decided: return false
        case .patched, .unpatched, .walking: return true
        }
    }

    init(recordedTid: Int32, realTid: Int32) {
        self.recordedTid = recordedTid
        self.realTid = realTid
    }

    public var tracee: Tracee { Tracee(realTid) }
}

/// A thread on its way to a point in user mode. The resume that sets off is the log's (a
/// debugger is asked how it goes, before anything is patched); the ones after it are the
/// mechanism's, and differ between a stub and a breakpoint walk.
enum PointReach {
    case none
    /// The debugger decided how the setting-off resume goes; it is not asked again for it.
    case decided(ReplayResume)
    /// Running through a filter stub: resumed silently.
    case patched(FilterStub)
    /// A debugger stopped it on the way: the patch is out while the debugger looks, DR0 is on
    /// the point's pc, and the debugger is asked at each resume.
    case unpatched(FilterStub)
    /// Walking breakpoint hits: a debugger is asked at each resume.
    case walking
}

/// How replay treats a syscall the thread entered.
struct PendingCall {
    var number: Int32
    var args: [UInt64]
    /// Cancelled: the log answers it.
    var emulated: Bool
    var brk = false
}

/// Builds the window-start process: an empty traced child whose address space, registers,
/// signal dispositions and threads are made to match the bundle, by injected syscalls.
struct ReplayProcessBuilder {
    let bundle: Bundle
    /// Leave window-start memory missing, to be served on demand through the userfaultfd
    /// returned, instead of writing the bundle's pages.
    var lazyPages = false
    /// Bounds the replay process's CPU time: the kernel kills it past this many seconds.
    var cpuSeconds: Int?

    static let threadCloneFlags: UInt64 = 0x50f00  // VM|FS|FILES|SIGHAND|THREAD|SYSVSEM

    struct Built {
        var pid: Int32
        var threads: [Int32: ReplayThread]
        var trampoline: UInt64
        var uffd: UserfaultFD?
        /// Pages for filter stubs (see `FilterPages`), mapped read-write-execute.
        var filterPages: [UInt64]
    }

    func build() throws -> Built {
        let pid = vp_spawn_traceme_stopped()
        guard pid > 0 else { throw KernelError("fork (replay process)", pid: getpid(), errno: -pid) }
        do {
            return try setUp(pid)
        } catch {
            killAndReap(pid)
            throw error
        }
    }

    private func setUp(_ pid: Int32) throws -> Built {
        guard let w = try waitForTask(pid), case .signalStop(SIGSTOP) = w.status else {
            throw TraceError("replay process \(pid) did not stop as expected")
        }
        let main = Tracee(pid)
        try main.setOptions([.traceSysGood, .traceClone, .traceExit, .exitKill])
        let memory = try ProcessMemory(pid: pid)
        let here = try main.registers()
        guard try memory.read(here.rip - 2, count: 2) == [0x0F, 0x05] else {
            throw TraceError("replay process \(pid) is not stopped after a syscall instruction")
        }
        let trampoline = try chooseTrampoline(current: try ProcFS.maps(pid))
        var caller = try RemoteCaller(main, syscallInstruction: here.rip - 2, atEntryStop: false)
        try expect(caller.call(SyscallNumber.mmap, [trampoline, 4096, 7, 0x22 | 0x100000, UInt64(bitPattern: -1), 0]) == Int64(trampoline),
                   "map the trampoline page at 0x\(hex(trampoline))")
        try memory.write(trampoline, [0x0F, 0x05, 0xCC])  // syscall; int3
        caller = try RemoteCaller(main, syscallInstruction: trampoline, atEntryStop: false)
        try caller.call(SyscallNumber.munmap, [0, trampoline])
        try caller.call(SyscallNumber.munmap, [trampoline + 4096, 0x7fff_ffff_f000 - trampoline - 4096])
        let uffd = try mapMemory(caller, memory)
        let filterPages = try mapFilterPages(caller, current: try ProcFS.maps(pid))
        if let cpuSeconds, vp_limit_cpu(pid, Int32(cpuSeconds)) != 0 {
            throw TraceError("replay set-up failed: could not limit the CPU time of process \(pid)")
        }
        try restoreSignalActions(caller, memory, scratch: trampoline + 0x100)
        try expect(caller.call(SyscallNumber.prctl, [26, 2]) == 0, "enable rdtsc trapping (PR_SET_TSC)")
        var threads: [Int32: ReplayThread] = [:]
        // The replay's own first task plays the recorded thread-group leader, whose exit (and
        // clearing of its tid) is the process's; the others become threads of it.
        let snapshots = bundle.state.threads
        guard let first = snapshots.first(where: { $0.tid == bundle.manifest.process.pid }) ?? snapshots.first else {
            throw TraceError("bundle holds no thread state")
        }
        threads[first.tid] = ReplayThread(recordedTid: first.tid, realTid: pid)
        threads[first.tid]?.clearChildTid = first.clearChildTid
        for snapshot in snapshots where snapshot.tid != first.tid {
            let r = try caller.call(SyscallNumber.clone, [ReplayProcessBuilder.threadCloneFlags, 0, 0, 0, 0])
            guard r > 0 else { throw TraceError("could not create replay thread for \(snapshot.tid): errno \(-r)") }
            let tid = Int32(r)
            guard let w = try waitForTask(tid), !w.status.isTerminal else { throw TraceError("replay thread \(tid) vanished") }
            let threadCaller = try RemoteCaller(Tracee(tid), syscallInstruction: trampoline, atEntryStop: false)
            try setMask(threadCaller, memory, snapshot.signalMask, scratch: trampoline + 0x200)
            try setAltStack(threadCaller, memory, snapshot.altStack, scratch: trampoline + 0x280)
            if let address = snapshot.clearChildTid { try threadCaller.call(SyscallNumber.set_tid_address, [address]) }
            try Tracee(tid).setXstate(snapshot.xstate)
            try Tracee(tid).setRegisters(snapshot.registers)
            threads[snapshot.tid] = ReplayThread(recordedTid: snapshot.tid, realTid: tid)
            threads[snapshot.tid]?.clearChildTid = snapshot.clearChildTid
        }
        try setMask(caller, memory, first.signalMask, scratch: trampoline + 0x200)
        try setAltStack(caller, memory, first.altStack, scratch: trampoline + 0x280)
        if let address = first.clearChildTid { try caller.call(SyscallNumber.set_tid_address, [address]) }
        try installSeccomp(caller, memory, scratch: trampoline + 0x300)
        try main.setXstate(first.xstate)
        try main.setRegisters(first.registers)
        return Built(pid: pid, threads: threads, trampoline: trampoline, uffd: uffd, filterPages: filterPages)
    }

    /// Maps the stub pages the log's asynchronous events need; one that cannot be mapped only
    /// leaves its points to the slower exact mechanism.
    func mapFilterPages(_ caller: RemoteCaller, current: [MemoryMapping]) throws -> [UInt64] {
        let taken = FilterPages.taken(bundle) + current.map { $0.start..<$0.end }
        var mapped: [UInt64] = []
        for page in FilterPages.choose(for: FilterPages.points(in: bundle.log), taken: taken) {
            // MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE: never over anything
            if try caller.call(SyscallNumber.mmap, [page, UInt64(FilterStub.pageSize), 7, 0x22 | 0x100000, UInt64(bitPattern: -1), 0]) == Int64(page) {
                mapped.append(page)
            }
        }
        return mapped
    }

    /// A page free both in the recording and in the fresh child.
    func chooseTrampoline(current: [MemoryMapping]) throws -> UInt64 {
        let taken = bundle.state.mappings + current
        var candidate: UInt64 = 0x7000_0000_0000
        for _ in 0..<4096 {
            if !taken.contains(where: { $0.start < candidate + 4096 && candidate < $0.end }) { return candidate }
            candidate -= 0x10_0000_0000
        }
        throw TraceError("no free address for the replay trampoline")
    }

    /// The window-start mappings replay recreates (not the kernel's vvar pages or vsyscall).
    static func restoredMappings(_ state: ProcessState) -> [MemoryMapping] {
        state.mappings.filter { $0.end <= 0x7fff_ffff_f000 && $0.path != "[vvar]" && $0.path != "[vvar_vclock]" }
    }

    func mapMemory(_ caller: RemoteCaller, _ memory: ProcessMemory) throws -> UserfaultFD? {
        let mappings = Self.restoredMappings(bundle.state)
        // The process's stack limit bounds how far [stack] grows, as when recorded.
        if let limit = bundle.state.stackLimit, vp_limit_stack(memory.pid, limit) != 0 {
            throw TraceError("replay set-up failed: could not set the stack limit of process \(memory.pid)")
        }
        for m in mappings {
            // [stack] grows down below where it was at window start, as the kernel's does.
            let flags: UInt64 = m.path == "[stack]" ? 0x32 | 0x100 : 0x32
            let r = try caller.call(SyscallNumber.mmap, [m.start, m.size, 3, flags, UInt64(bitPattern: -1), 0])
            try expect(r == Int64(m.start), "map 0x\(hex(m.start))-0x\(hex(m.end)) \(m.path) (result \(r))")
        }
        var uffd: UserfaultFD?
        if lazyPages {
            uffd = try takeUserfaultFD(caller, pid: memory.pid)
            for m in mappings { try uffd?.registerMissing(m.start, length: m.size) }
        } else {
            for run in bundle.pages { try memory.write(run.address, run.bytes) }
        }
        for m in mappings {
            let prot = (m.readable ? 1 : 0) | (m.writable ? 2 : 0) | (m.executable ? 4 : 0)
            try caller.call(SyscallNumber.mprotect, [m.start, m.size, UInt64(prot)])
        }
        return uffd
    }

    /// A userfaultfd made inside the process (faults in kernel mode too, so that signal frames
    /// and re-executed calls are served) and moved into the tracer.
    func takeUserfaultFD(_ caller: RemoteCaller, pid: Int32) throws -> UserfaultFD {
        let remote = try caller.call(SyscallNumber.userfaultfd, [0x80000 | 0x800])  // O_CLOEXEC | O_NONBLOCK
        guard remote >= 0 else {
            throw KernelError("userfaultfd in the replay process", pid: pid, errno: Int32(-remote),
                              hint: "needs CAP_SYS_PTRACE or vm.unprivileged_userfaultfd=1")
        }
        defer { _ = try? caller.call(SyscallNumber.close, [UInt64(remote)]) }
        return try UserfaultFD(takingFrom: pid, fd: Int32(remote))
    }

    func restoreSignalActions(_ caller: RemoteCaller, _ memory: ProcessMemory, scratch: UInt64) throws {
        for a in bundle.state.signalActions {
            try memory.write(scratch, bytes(of: [a.handler, a.flags, a.restorer, a.mask]))
            try caller.call(SyscallNumber.rt_sigaction, [UInt64(a.signal), scratch, 0, 8])
        }
    }

    func setMask(_ caller: RemoteCaller, _ memory: ProcessMemory, _ mask: UInt64, scratch: UInt64) throws {
        try memory.write(scratch, bytes(of: [mask]))
        try caller.call(SyscallNumber.rt_sigprocmask, [2, scratch, 0, 8])
    }

    /// Restores a thread's alternate signal stack (SS_ONSTACK is a state, not a setting).
    func setAltStack(_ caller: RemoteCaller, _ memory: ProcessMemory, _ stack: AltStack?, scratch: UInt64) throws {
        guard let stack, !stack.disabled else { return }
        let flags = UInt64(stack.flags & 0x8000_0000)  // keep SS_AUTODISARM only
        try memory.write(scratch, bytes(of: [stack.base, flags, stack.size]))
        let r = try caller.call(SyscallNumber.sigaltstack, [scratch, 0])
        try expect(r == 0, "restore the alternate signal stack at 0x\(hex(stack.base)) (result \(r))")
    }

    /// The replayed process may only run calls that change itself; every other call the
    /// tracer does not cancel fails with ENOSYS, so nothing reaches the host even by mistake.
    func installSeccomp(_ caller: RemoteCaller, _ memory: ProcessMemory, scratch: UInt64) throws {
        let allowed = SyscallTable.replayAllowedNumbers.map { Int32($0) }
        var filter = [sock_filter](repeating: sock_filter(), count: 512)
        let count = allowed.withUnsafeBufferPointer { vp_seccomp_allowlist(&filter, 512, $0.baseAddress, Int32($0.count)) }
        guard count > 0 else { throw TraceError("seccomp filter too large") }
        let program = filter.prefix(Int(count)).withUnsafeBytes { Array($0) }
        try memory.write(scratch + 16, program)
        try memory.write(scratch, bytes(of: [UInt64(count), scratch + 16]))
        try expect(caller.call(SyscallNumber.prctl, [38, 1, 0, 0, 0]) == 0, "set no_new_privs")
        let r = try caller.call(SyscallNumber.seccomp, [1, 1, scratch])  // SET_MODE_FILTER, FLAG_TSYNC
        try expect(r == 0, "install the replay seccomp filter (result \(r))")
    }

    func expect(_ ok: Bool, _ what: String) throws {
        if !ok { throw TraceError("replay set-up failed: could not \(what)") }
    }
}

func bytes(of words: [UInt64]) -> [UInt8] {
    words.flatMap { w in (0..<8).map { UInt8(truncatingIfNeeded: w >> (8 * UInt64($0))) } }
}

func hex(_ v: UInt64) -> String { String(v, radix: 16) }

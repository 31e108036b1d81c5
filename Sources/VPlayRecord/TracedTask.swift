import Foundation
import VPlayBundle
import VPlayKernel

/// One thread of a recorded process.
final class TracedThread {
    let tid: Int32
    var pid: Int32
    var lifecycle: ThreadLifecycle
    /// The syscall the thread is in (entry seen, exit not yet).
    var currentSyscall: Int32?
    /// Whether `currentSyscall` is known to match the kernel's view (false right after attaching).
    var syscallStateKnown = true
    var lastEntry: LogEvent?
    /// Result forced at the exit stop of a call the recorder cancelled (rseq).
    var cancelResult: Int64?
    var lastSignal: Int32?
    /// When the last signal was delivered to it (monotonic ns): a crash's capture starts there.
    var lastSignalNanos: UInt64 = 0
    /// CPU time (ns) when the thread last returned to user code, to place asynchronous signals.
    var cpuAtUserEntry: UInt64?
    lazy var cpuClock: ThreadCPUClock? = ThreadCPUClock(tid: tid)
    /// Where the kernel clears the tid when the thread exits (nil: not known).
    var clearChildTid: UInt64?
    /// BPF path: the last call of the thread interrupted with ERESTART_RESTARTBLOCK (number,
    /// arguments), whose writes a following restart_syscall makes.
    var restartBlock: (Int32, [UInt64])?
    /// BPF path: the logger's counter when the thread stopped for the tracer (its stop marker,
    /// multi-threaded processes only), from when the marker is absorbed (at any thread's stop)
    /// until the thread is resumed.
    var stopSequence: UInt64?
    /// With `stopSequence`: the logger's switch count at that stop (nil: unknown).
    var stopSwitches: UInt64?

    init(tid: Int32, pid: Int32, lifecycle: ThreadLifecycle) {
        self.tid = tid
        self.pid = pid
        self.lifecycle = lifecycle
    }

    /// Resumed (or held listening): its next stop comes from waitpid.
    var isRunning: Bool { lifecycle == .running || lifecycle == .groupStopped }
}

/// Where a thread is, as the tracer sees it.
enum ThreadLifecycle: Equatable {
    /// Created by a fork/clone event; its first stop (PTRACE_EVENT_STOP) is still to be taken.
    case awaitingFirstStop
    /// Resumed: the next waitpid stop is its.
    case running
    /// In a group stop, held with PTRACE_LISTEN until SIGCONT: not a thread to start a window
    /// from, since it is inside the kernel's signal handling.
    case groupStopped
    /// At a stop the recorder has taken and not resumed yet.
    case stopped
    /// Resumed from its exit stop: it reports only its end, and a thread-group leader only
    /// once every other thread has gone, so nothing may wait for it to stop.
    case exiting
}

/// A recording window: the state at its start, its shadow and its log.
final class Window {
    let startNanos: UInt64
    let startWall: Date
    let reason: String
    var shadow: Int32?
    /// The shadow's pid as its parent sees it (differs inside a PID namespace): for wait4.
    var shadowLocalPid: Int32?
    var state: ProcessState
    var log: [LogEvent] = []
    var logBytes = 0
    /// Calls logged (entries), for the cap on a window's length in calls.
    var syscalls = 0
    /// Entries logged at window start for threads caught inside a call; they stand in for
    /// entries the previous window already holds, so they are dropped when both are replayed.
    var syntheticPrefix = 0
    /// How long the window start held the process stopped.
    var snapshotSeconds: Double?
    /// MAP_SHARED and hugetlb memory as it was at window start (the shadow does not hold it).
    var shared: SharedCopy?
    /// Why the log misses something (BPF path: an event the logger could not complete).
    var unverifiable: [String] = []
    /// BPF path: the kernel's events, in the order they go into `log` (see fullLog()).
    var kernelBatches: [KernelBatch] = []
    /// BPF path: for events of `log` (by index) logged at a stop with a marker, the logger's
    /// counter at that stop (see fullLog()).
    var stopSequences: [Int: UInt64] = [:]

    init(startNanos: UInt64, reason: String, shadow: Int32?, state: ProcessState) {
        self.startNanos = startNanos
        self.startWall = Date()
        self.reason = reason
        self.shadow = shadow
        self.state = state
    }
}

/// One recorded process (thread group).
final class TracedProcess {
    let pid: Int32
    var program: String
    var argv: [String]
    var threads: [Int32] = []
    var memory: ProcessMemory?
    var syscallInstruction: UInt64?
    var current: Window?
    var previous: Window?
    /// Set by an exec event: the next execve exit stop starts the first window.
    var awaitingExecWindow = false
    /// vfork children share their parent's memory until they exec: no window until then.
    var sharesParentMemory = false
    var captured = false
    var warnings: [String] = []
    /// A thread interrupted (PTRACE_INTERRUPT) so that an overdue window can start while the
    /// process makes no syscalls.
    var rotationRequested: Int32?
    /// BPF path: no rotation is tried before this time (monotonic ns), because every thread slept
    /// in a call when one was last due.
    var rotationDeferredUntil: UInt64 = 0
    /// Recorded on the BPF path: the kernel logs its calls and its threads run with PTRACE_CONT.
    var fastPath = false
    /// The BPF path's seccomp refusal filter (rseq) is installed (inherited across fork and exec).
    var hasRefusalFilter = false

    init(pid: Int32, program: String, argv: [String]) {
        self.pid = pid
        self.program = program
        self.argv = argv
    }

    var shadows: [Int32] { [current?.shadow, previous?.shadow].compactMap { $0 } }

    func memoryAccess() throws -> ProcessMemory {
        if let m = memory { return m }
        let m = try ProcessMemory(pid: pid)
        memory = m
        return m
    }
}

func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Rough in-memory size of a log event, for the window's memory cap.
func approximateSize(_ e: LogEvent) -> Int {
    switch e {
    case .syscallEntry(_, _, _, _, let s): return 72 + s.reduce(0) { $0 + $1.utf8.count }
    case .syscallExit(_, _, _, _, let w): return 40 + w.reduce(0) { $0 + 16 + $1.bytes.count }
    case .signal: return 400
    default: return 40
    }
}

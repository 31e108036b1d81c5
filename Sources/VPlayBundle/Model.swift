// The data a bundle holds. Everything here is plain data; the container format
// (BundleWriter / BundleReader) turns it into one file and back. The kernel-ABI types it holds
// (registers, memory mappings) live in VPlayABI.

@_exported import VPlayABI

/// One thread's state at the start of the window.
public struct ThreadSnapshot: Codable, Equatable, Sendable {
    public var tid: Int32
    public var registers: Registers
    /// NT_X86_XSTATE bytes (FPU, SSE, AVX) as the kernel returned them.
    public var xstate: [UInt8]
    /// Blocked-signal mask (bit n-1 for signal n).
    public var signalMask: UInt64
    /// The alternate signal stack (sigaltstack), when it was read; handlers with SA_ONSTACK run there.
    public var altStack: AltStack?
    /// The thread's clear_child_tid address (CLONE_CHILD_CLEARTID, set_tid_address): the kernel
    /// writes 0 there and wakes a futex when the thread exits, which is how pthread_join learns
    /// of the exit. Nil when unknown (the thread predates the recording) or not set.
    public var clearChildTid: UInt64?
    public init(tid: Int32, registers: Registers, xstate: [UInt8], signalMask: UInt64, altStack: AltStack? = nil,
                clearChildTid: UInt64? = nil) {
        self.tid = tid
        self.registers = registers
        self.xstate = xstate
        self.signalMask = signalMask
        self.altStack = altStack
        self.clearChildTid = clearChildTid
    }
}

/// `stack_t` as sigaltstack returns it.
public struct AltStack: Codable, Equatable, Sendable {
    public var base: UInt64
    /// SS_ONSTACK (1), SS_DISABLE (2), SS_AUTODISARM (1 << 31).
    public var flags: UInt32
    public var size: UInt64
    public init(base: UInt64, flags: UInt32, size: UInt64) {
        self.base = base
        self.flags = flags
        self.size = size
    }
    public var disabled: Bool { flags & 2 != 0 }
}

/// A process-wide signal disposition (`struct kernel_sigaction`).
public struct SignalAction: Codable, Equatable, Sendable {
    public var signal: Int32
    public var handler: UInt64
    public var flags: UInt64
    public var restorer: UInt64
    public var mask: UInt64
    public init(signal: Int32, handler: UInt64, flags: UInt64, restorer: UInt64, mask: UInt64) {
        self.signal = signal
        self.handler = handler
        self.flags = flags
        self.restorer = restorer
        self.mask = mask
    }
}

/// A run of bytes the kernel wrote into user memory during a syscall.
public struct MemoryWrite: Equatable, Sendable {
    public var address: UInt64
    public var bytes: [UInt8]
    public init(address: UInt64, bytes: [UInt8]) {
        self.address = address
        self.bytes = bytes
    }
}

/// One entry of the window's log. `time` is nanoseconds since the bundle's window start
/// (`WindowInfo.startTime`), for every event of the one or two recorder windows the log joins
/// (bundles without `LogSummary.timeBase` time a second window's events from its own start).
public enum LogEvent: Equatable, Sendable {
    /// A thread entered a syscall. `strings` holds the input strings the table names (paths).
    case syscallEntry(tid: Int32, time: UInt64, number: Int32, args: [UInt64], strings: [String])
    /// The syscall returned `result` after the kernel wrote `writes` into user memory.
    case syscallExit(tid: Int32, time: UInt64, number: Int32, result: Int64, writes: [MemoryWrite])
    /// A signal was delivered to a thread with these registers. `synchronous` means the
    /// thread's own instruction raised it (a fault), so replay expects it rather than injecting it.
    /// `siginfo` is the raw 128-byte kernel siginfo.
    case signal(tid: Int32, time: UInt64, signal: Int32, siginfo: [UInt8], registers: Registers, synchronous: Bool)
    /// rdtsc / rdtscp executed at `pc`; trapped and answered by the recorder.
    case rdtsc(tid: Int32, time: UInt64, pc: UInt64, value: UInt64, aux: UInt32?)
    /// A new thread of this process appeared (clone with CLONE_THREAD) with these registers.
    case threadStart(tid: Int32, time: UInt64, parent: Int32)
    /// The process ended: exit status as wait(2) reports it.
    case processEnd(tid: Int32, time: UInt64, status: Int32)
    /// Where an asynchronous signal arrived, beyond its registers (no performance counters here):
    /// the CPU time the thread used since it last left the kernel, so replay can run freely
    /// most of the way, and a hash of `ranges` (start, length pairs: the stack around the
    /// stack pointer and the program's data) to tell loop iterations with equal registers apart.
    case asyncPoint(tid: Int32, time: UInt64, cpuNanos: UInt64, ranges: [UInt64], fingerprint: UInt64)
    /// The kernel switched the thread out in user mode (preempted, or blocked in a page fault)
    /// with these user registers: what other threads do next in the log happened while it stood
    /// there. Only the general-purpose registers, rip and eflags are known (format version 3).
    case preemption(tid: Int32, time: UInt64, registers: Registers)

    public var tid: Int32 {
        switch self {
        case .syscallEntry(let t, _, _, _, _), .syscallExit(let t, _, _, _, _), .signal(let t, _, _, _, _, _),
             .rdtsc(let t, _, _, _, _), .threadStart(let t, _, _), .processEnd(let t, _, _), .asyncPoint(let t, _, _, _, _),
             .preemption(let t, _, _):
            return t
        }
    }

    public var time: UInt64 {
        switch self {
        case .syscallEntry(_, let t, _, _, _), .syscallExit(_, let t, _, _, _), .signal(_, let t, _, _, _, _),
             .rdtsc(_, let t, _, _, _), .threadStart(_, let t, _), .processEnd(_, let t, _), .asyncPoint(_, let t, _, _, _),
             .preemption(_, let t, _):
            return t
        }
    }
}

extension LogEvent {
    /// The same event `offset` nanoseconds later: a later window's events, which the recorder
    /// times from that window's start, moved onto the bundle's clock (from its window start).
    public func delayed(by offset: UInt64) -> LogEvent { at(time: time &+ offset) }

    /// The same event at time `t`.
    public func at(time t: UInt64) -> LogEvent {
        switch self {
        case .syscallEntry(let tid, _, let n, let a, let s): return .syscallEntry(tid: tid, time: t, number: n, args: a, strings: s)
        case .syscallExit(let tid, _, let n, let r, let w): return .syscallExit(tid: tid, time: t, number: n, result: r, writes: w)
        case .signal(let tid, _, let s, let i, let r, let sync):
            return .signal(tid: tid, time: t, signal: s, siginfo: i, registers: r, synchronous: sync)
        case .rdtsc(let tid, _, let pc, let v, let aux): return .rdtsc(tid: tid, time: t, pc: pc, value: v, aux: aux)
        case .threadStart(let tid, _, let p): return .threadStart(tid: tid, time: t, parent: p)
        case .processEnd(let tid, _, let s): return .processEnd(tid: tid, time: t, status: s)
        case .asyncPoint(let tid, _, let cpu, let r, let f):
            return .asyncPoint(tid: tid, time: t, cpuNanos: cpu, ranges: r, fingerprint: f)
        case .preemption(let tid, _, let r): return .preemption(tid: tid, time: t, registers: r)
        }
    }
}

/// How the recorded process ended.
public struct CrashRecord: Codable, Equatable, Sendable {
    /// Fatal signal, nil when the end is an exit code.
    public var signal: Int32?
    public var signalName: String?
    public var exitCode: Int32?
    /// si_code of the fatal signal.
    public var code: Int32?
    public var faultAddress: UInt64?
    public var pc: UInt64
    /// Thread that received the fatal signal (or called exit).
    public var tid: Int32
    public var time: String
    /// Registers of every thread at the end; the crashing thread first.
    public var threads: [ThreadSnapshot]
    public init(signal: Int32?, signalName: String?, exitCode: Int32?, code: Int32?, faultAddress: UInt64?,
                pc: UInt64, tid: Int32, time: String, threads: [ThreadSnapshot]) {
        self.signal = signal
        self.signalName = signalName
        self.exitCode = exitCode
        self.code = code
        self.faultAddress = faultAddress
        self.pc = pc
        self.tid = tid
        self.time = time
        self.threads = threads
    }
}

public struct RecordedProcess: Codable, Equatable, Sendable {
    public var pid: Int32
    /// The name the process was started with: argv[0]'s basename, as `ps` shows it (Debian's
    /// redis-server is a symlink to redis-check-rdb; the program is still "redis-server").
    /// Bundles written before `executable` existed hold the executable's path here.
    public var program: String
    public var argv: [String]
    /// When the process started (ISO 8601, UTC), when known.
    public var startTime: String?
    /// The executable the kernel ran, symlinks resolved (/proc/PID/exe); nil in older bundles.
    public var executable: String?
    public init(pid: Int32, program: String, argv: [String], startTime: String? = nil, executable: String? = nil) {
        self.pid = pid
        self.program = program
        self.argv = argv
        self.startTime = startTime
        self.executable = executable
    }

    /// The executable's path: `executable`, or `program` in bundles written before it existed.
    public var executablePath: String { executable ?? program }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pid, forKey: .pid)
        try c.encode(program, forKey: .program)
        try c.encode(argv, forKey: .argv)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(executable, forKey: .executable)
    }
}

public struct WindowInfo: Codable, Equatable, Sendable {
    /// Configured window length.
    public var seconds: Double
    /// Time from window start to the end of the process.
    public var duration: Double
    /// Why the window began: "exec", "fork", "rotation", "attach".
    public var startReason: String
    public var startTime: String
    /// How long taking the window-start snapshot stopped the process (registers, signal
    /// dispositions, the copy-on-write shadow).
    public var snapshotSeconds: Double?
    public init(seconds: Double, duration: Double, startReason: String, startTime: String, snapshotSeconds: Double? = nil) {
        self.seconds = seconds
        self.duration = duration
        self.startReason = startReason
        self.startTime = startTime
        self.snapshotSeconds = snapshotSeconds
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(duration, forKey: .duration)
        try c.encode(startReason, forKey: .startReason)
        try c.encode(startTime, forKey: .startTime)
        try c.encode(snapshotSeconds, forKey: .snapshotSeconds)
    }
}

public struct LogSummary: Codable, Equatable, Sendable {
    /// `timeBase` of bundles whose event times all count from the window start.
    public static let windowStart = "window-start"
    public var syscalls: Int
    public var signals: Int
    public var rdtsc: Int
    public var events: Int
    /// Preemptions in user mode (nil in bundles written before they were logged).
    public var preemptions: Int?
    /// What event times count from: `windowStart`. nil in bundles written before it existed,
    /// whose events after a window rotation count from that rotation.
    public var timeBase: String?
    public init(syscalls: Int, signals: Int, rdtsc: Int, events: Int, preemptions: Int? = nil,
                timeBase: String? = LogSummary.windowStart) {
        self.syscalls = syscalls
        self.signals = signals
        self.rdtsc = rdtsc
        self.events = events
        self.preemptions = preemptions
        self.timeBase = timeBase
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(syscalls, forKey: .syscalls)
        try c.encode(signals, forKey: .signals)
        try c.encode(rdtsc, forKey: .rdtsc)
        try c.encode(events, forKey: .events)
        try c.encode(preemptions, forKey: .preemptions)
        try c.encode(timeBase, forKey: .timeBase)
    }
}

public struct MemorySummary: Codable, Equatable, Sendable {
    /// Bytes of page data stored in the bundle.
    public var savedBytes: UInt64
    /// Resident memory of the process at the end (VmRSS).
    public var residentBytes: UInt64
    public var mappings: Int
    /// Time from the fatal signal (or exit) to the bundle's contents being complete, before
    /// compression and the write.
    public var captureSeconds: Double?
    public init(savedBytes: UInt64, residentBytes: UInt64, mappings: Int, captureSeconds: Double? = nil) {
        self.savedBytes = savedBytes
        self.residentBytes = residentBytes
        self.mappings = mappings
        self.captureSeconds = captureSeconds
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(savedBytes, forKey: .savedBytes)
        try c.encode(residentBytes, forKey: .residentBytes)
        try c.encode(mappings, forKey: .mappings)
        try c.encode(captureSeconds, forKey: .captureSeconds)
    }
}

/// Everything a replay needs to rebuild the window-start process, besides memory and log.
public struct ProcessState: Codable, Equatable, Sendable {
    /// Program break at window start.
    public var brk: UInt64
    public var signalActions: [SignalAction]
    /// Threads at window start; the first is the one replay starts from.
    public var threads: [ThreadSnapshot]
    public var mappings: [MemoryMapping]
    /// The memory map at the end (paths of objects mapped inside the window), when recorded.
    public var crashMappings: [MemoryMapping]?
    /// The process's auxiliary vector (/proc/PID/auxv), for debuggers (AT_ENTRY, AT_PHDR...).
    public var auxv: [UInt8]?
    /// Soft RLIMIT_STACK at window start in bytes (UInt64.max: unlimited): how far [stack] may grow.
    public var stackLimit: UInt64?
    public init(brk: UInt64, signalActions: [SignalAction], threads: [ThreadSnapshot], mappings: [MemoryMapping],
                crashMappings: [MemoryMapping]? = nil, auxv: [UInt8]? = nil, stackLimit: UInt64? = nil) {
        self.stackLimit = stackLimit
        self.brk = brk
        self.signalActions = signalActions
        self.threads = threads
        self.mappings = mappings
        self.crashMappings = crashMappings
        self.auxv = auxv
    }
}

public struct Manifest: Codable, Equatable, Sendable {
    public static let currentFormatVersion = 3
    /// Versions this reader understands (1 lacks objects and crash-time memory).
    public static let readableFormatVersions = 1...3
    public var formatVersion: Int
    public var toolVersion: String
    public var createdAt: String
    public var process: RecordedProcess
    public var crash: CrashRecord
    public var window: WindowInfo
    public var log: LogSummary
    public var memory: MemorySummary
    /// True only when a trial replay proved the saved pages and log reproduce the end.
    public var verified: Bool
    /// Things the recording met that replay cannot reproduce (named syscalls, rdrand, ...).
    public var warnings: [String]
    /// Container id, OCI bundle path and annotations when recorded by the OCI hook.
    public var container: [String: String]?
    /// The trial replay that chose the saved pages, when one ran.
    public var trial: TrialReplay?
    /// How the recording logged syscalls (absent in bundles written before it was recorded).
    public var recording: RecordingInfo?
    public init(formatVersion: Int = Manifest.currentFormatVersion, toolVersion: String, createdAt: String,
                process: RecordedProcess, crash: CrashRecord, window: WindowInfo, log: LogSummary,
                memory: MemorySummary, verified: Bool, warnings: [String], container: [String: String]? = nil,
                trial: TrialReplay? = nil, recording: RecordingInfo? = nil) {
        self.recording = recording
        self.formatVersion = formatVersion
        self.toolVersion = toolVersion
        self.createdAt = createdAt
        self.process = process
        self.crash = crash
        self.window = window
        self.log = log
        self.memory = memory
        self.verified = verified
        self.warnings = warnings
        self.container = container
        self.trial = trial
    }
}

/// How the syscalls of a bundle were recorded.
public struct RecordingInfo: Codable, Equatable, Sendable {
    /// "bpf" (the kernel's BPF logger, ptrace for events) or "ptrace" (two stops per call).
    public var path: String
    /// How much of the threads' schedule the log holds: `Schedule.full` or `Schedule.syscalls`;
    /// nil in bundles written before it was recorded.
    public var schedule: String?

    public enum Schedule {
        /// Every switch between the recorded threads: preemptions in user mode with the
        /// preempted thread's registers, and where blocking calls let others run.
        public static let full = "full"
        /// Only the order of the threads' syscalls and signals: where threads that share memory
        /// interleave between syscalls is not in the log, and replay may diverge there.
        public static let syscalls = "syscalls"
    }

    public init(path: String, schedule: String? = nil) {
        self.path = path
        self.schedule = schedule
    }
}

/// The replay run at capture time with every page missing: the pages it touched are the ones
/// the bundle keeps (when it reproduced the end) — the partial checkpoint.
public struct TrialReplay: Codable, Equatable, Sendable {
    public var reproduced: Bool
    /// Pages the trial replay touched, each served from the window-start snapshot.
    public var pagesTouched: Int
    public var seconds: Double
    /// Where and how it diverged, when it did (the bundle then keeps every resident page).
    public var divergence: String?
    public init(reproduced: Bool, pagesTouched: Int, seconds: Double, divergence: String? = nil) {
        self.reproduced = reproduced
        self.pagesTouched = pagesTouched
        self.seconds = seconds
        self.divergence = divergence
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(reproduced, forKey: .reproduced)
        try c.encode(pagesTouched, forKey: .pagesTouched)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(divergence, forKey: .divergence)
    }
}

/// A whole bundle in memory.
public struct Bundle: Equatable, Sendable {
    public var manifest: Manifest
    public var state: ProcessState
    public var pages: [PageRun]
    public var log: [LogEvent]
    /// The ELF files the process had mapped executable at its end (program, libraries), for
    /// symbols and debuggers; replay does not need them.
    public var objects: [BundledObject]
    /// Memory at the end, for backtraces: each thread's stack from its stack pointer up.
    public var crashMemory: [PageRun]
    public init(manifest: Manifest, state: ProcessState, pages: [PageRun], log: [LogEvent],
                objects: [BundledObject] = [], crashMemory: [PageRun] = []) {
        self.manifest = manifest
        self.state = state
        self.pages = pages
        self.log = log
        self.objects = objects
        self.crashMemory = crashMemory
    }
}

/// An ELF file the process had mapped, as the path its mappings name.
public struct BundledObject: Equatable, Sendable {
    public var path: String
    public var buildID: String?
    public var bytes: [UInt8]
    public init(path: String, buildID: String?, bytes: [UInt8]) {
        self.path = path
        self.buildID = buildID
        self.bytes = bytes
    }
}

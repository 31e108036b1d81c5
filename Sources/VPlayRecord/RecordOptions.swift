import Foundation

/// What to record and where bundles go.
public struct RecordOptions: Sendable {
    public var command: [String]
    /// Window length in seconds: at least this much history is kept, at most twice it.
    public var window: Double = 2
    public var outputDirectory: String = "."
    /// Exit codes that count as an abnormal end.
    public var exitCodes: Set<Int32> = []
    /// CPU to pin the tracer and the recorded tree to (docs/architecture.md: cross-CPU stops cost several times more).
    public var cpu: Int32? = 0
    /// A window is rotated early when its log grows past this many bytes.
    public var logCapBytes: Int = 64 << 20
    /// A window is rotated early when it logs this many calls: replay costs a tracer round
    /// trip per call (tens of µs), so two windows of this many replay in seconds. On the BPF
    /// path a program can make millions of calls per second.
    public var logCapSyscalls: Int = 100_000
    /// Make rdtsc/rdtscp trap so their values are logged (PR_SET_TSC). Costs about half of the
    /// per-syscall overhead in VMs, where every context switch then rewrites CR4.
    public var trapTimestampCounter = true
    /// Run a trial replay at capture to keep only the pages the window touched (and verify the
    /// bundle); without it, or when it diverges, every resident page is kept, unverified.
    public var trialReplay = true
    /// Seconds the trial replay may take before the bundle falls back to every page.
    public var trialTimeLimit: Double = 30
    /// Prefix of bundle names (the OCI hook uses the container id).
    public var bundlePrefix: String?
    /// Container id, bundle path and annotations copied into the manifest.
    public var container: [String: String]?
    /// How syscalls are logged: `.bpf` falls back to `.ptrace` (one warning) when BPF cannot be used.
    public var path: RecordingPath = .default

    public init(command: [String]) {
        self.command = command
    }
}

/// How a recording logs the system calls (docs/recording-paths.md).
public enum RecordingPath: String, Sendable, CaseIterable {
    /// Two ptrace stops per call (PTRACE_SYSCALL).
    case ptrace
    /// The BPF syscall logger; ptrace stops only for events, signals and calls the logger cannot complete.
    case bpf

    /// `bpf`, unless the environment's `VPLAY_RECORDING_PATH` names another path (CI runs every
    /// test on both paths this way).
    public static var `default`: RecordingPath {
        ProcessInfo.processInfo.environment["VPLAY_RECORDING_PATH"].flatMap(RecordingPath.init(rawValue:)) ?? .bpf
    }
}

/// A bundle the recorder wrote.
public struct WrittenBundle: Sendable {
    public var path: String
    public var pid: Int32
    public var signal: Int32?
    public var exitCode: Int32?
}

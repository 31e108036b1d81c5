import VPlayBundle
import VPlaySymbols
import VPlaySyscalls

/// What `inspect` shows and how much.
public struct ReportOptions: Equatable, Sendable {
    /// How many of the last syscalls to show; nil: all.
    public var syscallLimit: Int?
    /// Show only this thread's backtrace, registers and syscalls.
    public var thread: Int32?

    public init(syscallLimit: Int? = 20, thread: Int32? = nil) {
        self.syscallLimit = syscallLimit
        self.thread = thread
    }
}

/// The container that ran the process, when the OCI hook recorded it.
public struct ContainerSummary: Equatable, Sendable {
    public var id: String?
    /// The OCI bundle directory.
    public var bundle: String?
    /// Every other key of the manifest's container record.
    public var annotations: [String: String]
}

/// How the process ended.
public struct CrashSummary: Equatable, Sendable {
    public var signal: Int32?
    public var signalName: String?
    public var code: Int32?
    /// What `code` means for this signal; nil for an exit.
    public var codeMeaning: SignalCodes.Meaning?
    public var exitCode: Int32?
    public var faultAddress: UInt64?
    /// The crash-time mapping that holds the fault address, or nil when none does.
    public var faultMapping: MemoryMapping?
    /// The instruction pointer of the crashing thread, symbolized.
    public var pc: CodeLocation
    public var tid: Int32
}

/// A fault the program's own signal handler caught before the end: what started a crash that
/// ends in the handler's re-raise (`kill(getpid(), SIGSEGV)`, `raise`, `abort`).
public struct CaughtFault: Equatable, Sendable {
    public var tid: Int32
    public var signal: Int32
    public var signalName: String
    public var code: Int32
    public var codeMeaning: SignalCodes.Meaning
    public var faultAddress: UInt64?
    /// The crash-time mapping that holds the fault address, or nil when none does.
    public var faultMapping: MemoryMapping?
    /// Where the faulting instruction was, symbolized.
    public var pc: CodeLocation
    /// Seconds from the fault to the fatal signal (positive: before it).
    public var secondsBeforeCrash: Double
}

/// A crash report built from a bundle: everything `vplay-bundle inspect` prints. Building it
/// never fails: what cannot be worked out (an object without symbols, a stack that cannot be
/// unwound) becomes a warning.
public struct CrashReport: Sendable {
    public var manifest: Manifest
    public var bundlePath: String
    public var bundleBytes: UInt64
    public var options: ReportOptions
    public var container: ContainerSummary?
    public var crash: CrashSummary
    /// The fault that started the crash, when the program's handler caught it and the end is
    /// a signal it sent itself.
    public var caughtFault: CaughtFault?
    public var objects: [ObjectSummary]
    /// The crashing thread first.
    public var backtraces: [ThreadBacktrace]
    public var registers: [ThreadRegisters]
    public var syscalls: SyscallSection
    public var memory: MemorySection
    /// Window-start mappings with saved bytes, for the JSON `mappings` array.
    public var mappings: [MappingUsage] { memory.mappings }
    /// Problems met while building the report (the recording's own are `manifest.warnings`).
    public var warnings: [String]

    public init(bundle: Bundle, path: String, fileSize: UInt64, options: ReportOptions = ReportOptions()) {
        let m = bundle.manifest
        let crashMap = bundle.state.crashMappings ?? bundle.state.mappings
        let placed = BundledObjects(bundle.objects, mappings: crashMap)
        let unwinder = Unwinder(objects: placed.loaded)
        let locator = Locator(symbolizer: unwinder.symbolizer, mappings: crashMap)
        let threads = m.crash.threads.filter { options.thread == nil || $0.tid == options.thread }
        let walker = Backtraces(unwinder: unwinder, locator: locator, memory: SavedMemory(bundle.crashMemory))

        manifest = m
        bundlePath = path
        bundleBytes = fileSize
        self.options = options
        container = Self.container(m.container)
        crash = Self.crash(m.crash, locator: locator)
        objects = placed.summaries
        backtraces = threads.map { walker.backtrace(of: $0, crashed: $0.tid == m.crash.tid) }
        registers = threads.map { ThreadRegisters(tid: $0.tid, registers: $0.registers) }
        let (log, clockNote) = LogClock.unified(bundle.log, manifest: m)
        let crashTime = RecentSyscalls.crashTime(log, crash: m.crash)
        syscalls = RecentSyscalls.section(log, limit: options.syscallLimit, thread: options.thread, crashTime: crashTime)
        caughtFault = Self.caughtFault(log, crash: m.crash, crashTime: crashTime, locator: locator)
        memory = MemoryUsage.section(bundle)
        warnings = placed.warnings + unwinder.cfiProblems.map { "\($0.path): .eh_frame unusable (\($0.error)); frame pointers only" }
            + Self.gaps(bundle, options: options) + (clockNote.map { [$0] } ?? [])
    }

    static func container(_ record: [String: String]?) -> ContainerSummary? {
        guard let record, !record.isEmpty else { return nil }
        return ContainerSummary(id: record["id"], bundle: record["bundle"],
                                annotations: record.filter { $0.key != "id" && $0.key != "bundle" })
    }

    static func crash(_ c: CrashRecord, locator: Locator) -> CrashSummary {
        CrashSummary(signal: c.signal, signalName: c.signal.map { c.signalName ?? signalName($0) }, code: c.code,
                     codeMeaning: c.signal.map { SignalCodes.meaning(signal: $0, code: c.code ?? 0) },
                     exitCode: c.exitCode, faultAddress: c.faultAddress,
                     faultMapping: c.faultAddress.flatMap(locator.mapping(containing:)),
                     pc: locator.locate(c.pc), tid: c.tid)
    }

    /// When the fatal signal was sent by the process itself (si_code ≤ 0: kill, tkill, raise),
    /// the last fault the CPU raised before it, caught by a handler: the crashing thread's,
    /// else any thread's (a process-directed kill may reach another thread).
    static func caughtFault(_ log: [LogEvent], crash c: CrashRecord, crashTime: UInt64, locator: Locator) -> CaughtFault? {
        guard let signal = c.signal, (c.code ?? 0) <= 0 else { return nil }
        var end = log.endIndex
        if let fatal = log.lastIndex(where: { if case .signal(c.tid, _, signal, _, _, _) = $0 { return true } else { return false } }) {
            end = fatal
        }
        let faults = log[..<end].compactMap { event -> (tid: Int32, time: UInt64, signal: Int32, info: [UInt8], regs: Registers)? in
            guard case .signal(let tid, let time, let s, let info, let regs, true) = event, info.count >= 24 else { return nil }
            return (tid, time, s, info, regs)
        }
        guard let f = faults.last(where: { $0.tid == c.tid }) ?? faults.last else { return nil }
        let code = f.info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: Int32.self) }
        let address = f.info.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) }
        let hasAddress = [11, 7, 4, 8].contains(f.signal) && code > 0  // SIGSEGV, SIGBUS, SIGILL, SIGFPE
        return CaughtFault(tid: f.tid, signal: f.signal, signalName: signalName(f.signal), code: code,
                           codeMeaning: SignalCodes.meaning(signal: f.signal, code: code),
                           faultAddress: hasAddress ? address : nil,
                           faultMapping: hasAddress ? locator.mapping(containing: address) : nil,
                           pc: locator.locate(f.regs.rip),
                           secondsBeforeCrash: Double(Int64(bitPattern: crashTime &- f.time)) / 1e9)
    }

    /// What the bundle lacks for a full report.
    static func gaps(_ bundle: Bundle, options: ReportOptions) -> [String] {
        var notes: [String] = []
        if bundle.objects.isEmpty {
            notes.append("the bundle holds no ELF objects (format \(bundle.manifest.formatVersion)): addresses are not symbolized")
        } else if bundle.state.crashMappings == nil {
            notes.append("the bundle has no crash-time memory map: objects are placed by the window-start map")
        }
        if bundle.crashMemory.isEmpty, !bundle.manifest.crash.threads.isEmpty {
            notes.append("the bundle holds no stacks from the crash: backtraces stop at the innermost frame")
        }
        if let tid = options.thread, !bundle.manifest.crash.threads.contains(where: { $0.tid == tid }) {
            let known = bundle.manifest.crash.threads.map { String($0.tid) }.joined(separator: ", ")
            notes.append("thread \(tid) is not in the bundle (threads: \(known.isEmpty ? "none" : known))")
        }
        return notes
    }
}

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
        syscalls = RecentSyscalls.section(bundle.log, limit: options.syscallLimit, thread: options.thread,
                                          crashTime: RecentSyscalls.crashTime(bundle.log, crash: m.crash))
        memory = MemoryUsage.section(bundle)
        warnings = placed.warnings + unwinder.cfiProblems.map { "\($0.path): .eh_frame unusable (\($0.error)); frame pointers only" }
            + Self.gaps(bundle, options: options)
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

/// A kernel thread id (tid) as gdb sees it; in the remote protocol, hex.
public typealias GDBThreadID = Int32

/// Features a target has beyond the required ones; the server advertises from these.
public struct GDBTargetCapabilities: OptionSet, Sendable {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    /// `bc`: run backwards to the previous breakpoint, watchpoint or start of history.
    public static let reverseContinue = GDBTargetCapabilities(rawValue: 1 << 0)
    /// `bs`: step one instruction backwards.
    public static let reverseStep = GDBTargetCapabilities(rawValue: 1 << 1)
}

/// What a Z/z packet inserts or removes.
public enum GDBBreakpointKind: Int, Sendable, CaseIterable {
    /// Z0: the target plants a trap instruction (and hides it from memory reads).
    case software = 0
    /// Z1: an instruction breakpoint in a debug register.
    case hardware = 1
    /// Z2: stop after a write to the range.
    case writeWatchpoint = 2
    /// Z3: stop after a read of the range.
    case readWatchpoint = 3
    /// Z4: stop after a read or write of the range.
    case accessWatchpoint = 4

    /// Z2-Z4: data breakpoints.
    public var isWatchpoint: Bool { rawValue >= 2 }
}

/// One breakpoint or watchpoint: what, where, and how long (bytes watched; for software
/// breakpoints the gdb "kind", 1 on x86).
public struct GDBBreakpoint: Hashable, Sendable {
    public var kind: GDBBreakpointKind
    public var address: UInt64
    public var length: Int
    public init(kind: GDBBreakpointKind, address: UInt64, length: Int) {
        self.kind = kind
        self.address = address
        self.length = length
    }
}

/// How to resume one thread. Signals are Linux numbers; 0 means none.
public enum GDBResumeAction: Equatable, Sendable {
    case `continue`(signal: Int32)
    case step(signal: Int32)

    /// Whether this is a single step.
    public var isStep: Bool { if case .step = self { return true } else { return false } }
    /// The signal delivered on resumption (0: none).
    public var signal: Int32 {
        switch self {
        case let .continue(s), let .step(s): return s
        }
    }
}

/// Which way execution goes.
public enum GDBDirection: Sendable {
    case forward
    /// Only requested when the target advertises reverse capabilities. Reverse requests carry
    /// no signals.
    case reverse
}

/// One resumption: an action per thread named explicitly, one for all other threads (nil:
/// they stay stopped), and the direction. Returns when the whole target is stopped again
/// (all-stop).
public struct GDBResumeRequest: Equatable, Sendable {
    public var actions: [GDBThreadID: GDBResumeAction]
    public var others: GDBResumeAction?
    public var direction: GDBDirection

    public init(actions: [GDBThreadID: GDBResumeAction] = [:], others: GDBResumeAction?, direction: GDBDirection = .forward) {
        self.actions = actions
        self.others = others
        self.direction = direction
    }

    /// The action for `thread`: its own, else the one for others.
    public func action(for thread: GDBThreadID) -> GDBResumeAction? { actions[thread] ?? others }
}

/// The kind of access a watchpoint reports.
public enum GDBWatchKind: Sendable {
    case write, read, access
}

/// Why the target is stopped.
public enum GDBStopReason: Equatable, Sendable {
    /// A signal-delivery stop (Linux signal number). A finished single step is `.signal(SIGTRAP)`.
    case signal(Int32)
    /// A software breakpoint; the target has already moved the pc back to its address.
    case softwareBreakpoint
    /// A hardware instruction breakpoint.
    case hardwareBreakpoint
    /// A watchpoint triggered by an access to `address`.
    case watchpoint(GDBWatchKind, address: UInt64)
    /// Stopped by an interrupt request (reported to gdb as SIGINT).
    case interrupted
    /// Reverse execution reached the start of the recorded history.
    case historyBegin
    /// Forward execution reached the end of the recorded history.
    case historyEnd
    /// The process exited with `code`: there is nothing left to debug.
    case exited(code: Int32)
    /// The process was killed by `signal`: there is nothing left to debug.
    case terminated(signal: Int32)

    /// Whether the process is gone.
    public var isFinal: Bool {
        switch self {
        case .exited, .terminated: return true
        default: return false
        }
    }
}

/// A stop: why, and in which thread (nil for process-wide events such as an exit).
public struct GDBStopEvent: Equatable, Sendable {
    public var thread: GDBThreadID?
    public var reason: GDBStopReason
    public init(thread: GDBThreadID?, reason: GDBStopReason) {
        self.thread = thread
        self.reason = reason
    }
}

/// One shared object in the dynamic linker's list (`qXfer:libraries-svr4:read`).
public struct GDBLibrary: Equatable, Sendable {
    /// The path gdb opens (through vFile when its sysroot is `target:`).
    public var path: String
    /// Address of the object's `struct link_map` in the target (0 when unknown).
    public var linkMap: UInt64
    /// Load bias (`l_addr`): the difference between run-time and link-time addresses.
    public var loadBias: UInt64
    /// Run-time address of the object's dynamic section (`l_ld`).
    public var dynamicSection: UInt64
    public init(path: String, linkMap: UInt64, loadBias: UInt64, dynamicSection: UInt64) {
        self.path = path
        self.linkMap = linkMap
        self.loadBias = loadBias
        self.dynamicSection = dynamicSection
    }
}

/// The dynamic linker's list: the main program's link_map and the shared objects after it.
public struct GDBLibraryList: Equatable, Sendable {
    public var mainLinkMap: UInt64?
    public var libraries: [GDBLibrary]
    public init(mainLinkMap: UInt64? = nil, libraries: [GDBLibrary] = []) {
        self.mainLinkMap = mainLinkMap
        self.libraries = libraries
    }
}

/// Errors a target throws to tell the server how to answer.
public enum GDBTargetError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The request is not implemented by this target: gdb gets the empty reply and falls back
    /// (for example from Z0 to writing breakpoints into memory itself).
    case unsupported(String)
    /// No memory at the address (gdb gets `E14`, EFAULT); never answer with invented bytes.
    case memoryUnavailable(address: UInt64, count: Int)
    case noSuchThread(GDBThreadID)
    /// No free resource, e.g. all four debug registers are taken (`E28`, ENOSPC).
    case noResources(String)
    /// Anything else, with the errno to report.
    case failed(String, errno: Int32)

    public var description: String {
        switch self {
        case let .unsupported(what): return "not supported: \(what)"
        case let .memoryUnavailable(a, n): return "no memory at 0x\(String(a, radix: 16)) (\(n) bytes)"
        case let .noSuchThread(t): return "no thread \(t)"
        case let .noResources(what): return "out of resources: \(what)"
        case let .failed(what, e): return "\(what) (errno \(e))"
        }
    }

    /// The errno for an `Exx` reply.
    var errno: Int32 {
        switch self {
        case .unsupported: return 38  // ENOSYS
        case .memoryUnavailable: return 14  // EFAULT
        case .noSuchThread: return 3  // ESRCH
        case .noResources: return 28  // ENOSPC
        case let .failed(_, e): return e
        }
    }
}

/// A debuggee as the gdb server sees it: an all-stop, x86-64 Linux process, live or replayed.
///
/// The server calls every method from the one thread that runs `GDBServer.serve`, except
/// `interruptHandler`, which it calls from another thread while `resume` blocks. Targets with
/// thread affinity (ptrace) must therefore be created on the serving thread.
public protocol GDBTarget: AnyObject {
    /// Optional features (reverse execution); the server advertises exactly these.
    var capabilities: GDBTargetCapabilities { get }

    /// Why the target is stopped now; the answer to `?` when gdb connects.
    var currentStop: GDBStopEvent { get }

    /// The live threads, the main thread first.
    func threads() throws -> [GDBThreadID]

    /// The registers of a stopped thread.
    func readRegisters(thread: GDBThreadID) throws -> AMD64Registers

    /// Replaces the registers of a stopped thread.
    func writeRegisters(_ registers: AMD64Registers, thread: GDBThreadID) throws

    /// Reads up to `count` bytes at `address`. May return a shorter readable prefix; must
    /// throw (`GDBTargetError.memoryUnavailable`) when not even the first byte is known.
    /// Software breakpoints the target planted must not show.
    func readMemory(at address: UInt64, count: Int) throws -> [UInt8]

    /// Writes bytes at `address`, all or nothing.
    func writeMemory(at address: UInt64, bytes: [UInt8]) throws

    /// Plants a breakpoint or watchpoint. Throw `.unsupported` for a kind the target lacks.
    func insertBreakpoint(_ breakpoint: GDBBreakpoint) throws

    /// Removes one planted by `insertBreakpoint` (removing an unknown one is not an error).
    func removeBreakpoint(_ breakpoint: GDBBreakpoint) throws

    /// Resumes as requested and blocks until the target stops again.
    func resume(_ request: GDBResumeRequest) throws -> GDBStopEvent

    /// Asks a running target to stop soon; `resume` then returns `.interrupted`. Called from
    /// another thread while `resume` blocks, or just before `resume` when gdb's ^C came first,
    /// so the target must latch the request. Must be safe to call at any time.
    var interruptHandler: @Sendable () -> Void { get }

    /// The path of the main executable (`qXfer:exec-file:read`).
    func executablePath() throws -> String

    /// The dynamic linker's list of loaded objects (`qXfer:libraries-svr4:read`).
    func libraries() throws -> GDBLibraryList

    /// The raw auxiliary vector (`qXfer:auxv:read`).
    func auxiliaryVector() throws -> [UInt8]

    /// Where `vFile` requests are served from: the host filesystem for a live process, the
    /// bundle's copies of ELF objects for a replay.
    var files: GDBFileProvider { get }

    /// Ends the debuggee (`k`).
    func kill() throws

    /// Lets the debuggee go on without the debugger (`D`).
    func detach() throws
}

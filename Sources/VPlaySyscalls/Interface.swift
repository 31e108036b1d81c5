// Public interface of the one syscall table. The engine (record, replay, inspect) relies on
// exactly these declarations; the table itself lives in SyscallTable.swift (API), Entries.swift
// (declarative entries), Irregular.swift and Ioctl.swift (calls that need code) and Names.swift.

/// How an argument is decoded for people (strace-like output) and compared during replay.
public enum ArgKind: Sendable, Equatable {
    case int            // signed integer
    case uint           // unsigned integer / size
    case fd             // file descriptor (int; AT_FDCWD shown by name)
    case pointer        // user address (compared exactly; replay memory layout is identical)
    case path           // NUL-terminated string read from user memory (logged as input)
    case string         // NUL-terminated string that is not a path
    case flags(String)  // named flag set, e.g. "open", "mmap", "prot", "clone"
    case signal         // signal number
    case pid
    case offset
}

/// What replay does with a call.
public enum ReplayPolicy: Sendable, Equatable {
    /// Cancel the real call; set the recorded result and write the recorded bytes.
    case emulate
    /// Run it for real in the replayed process: it only changes that process's own state
    /// (signal handlers and masks, robust list, fs base, exit) and never the host.
    case reexecute
    /// Memory-map changes: replay re-creates their effect (engine code).
    case memoryMap
    /// clone/clone3/fork/vfork: threads are re-created, processes emulated (engine code).
    case clone
    /// execve/execveat: a window never spans an exec (engine code).
    case exec
    /// Recording cannot capture its effects; replay stops here with a divergence naming it.
    case unsupported(String)
}

/// A region of user memory the kernel wrote during a call.
public struct WrittenRegion: Sendable, Equatable {
    public var address: UInt64
    public var length: Int
    public init(address: UInt64, length: Int) {
        self.address = address
        self.length = length
    }
}

/// Read access to the traced process's memory, used for indirect out-arguments
/// (iovec arrays, msghdr, epoll events). Throws when the memory cannot be read.
public protocol TraceeMemoryReader {
    func read(address: UInt64, count: Int) throws -> [UInt8]
}

public struct SyscallSpec: Sendable {
    public let number: Int
    public let name: String
    public let args: [ArgKind]
    public let policy: ReplayPolicy
    public init(number: Int, name: String, args: [ArgKind], policy: ReplayPolicy) {
        self.number = number
        self.name = name
        self.args = args
        self.policy = policy
    }
}

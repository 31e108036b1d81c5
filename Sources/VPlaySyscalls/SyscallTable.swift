import VPlayABI

// The public face of the one syscall table. The data lives in Entries.swift (declarative
// entries), Irregular.swift (calls whose writes need code) and Names.swift (the x86_64 ABI).

public enum SyscallTableError: Error, CustomStringConvertible, Equatable {
    /// The call's effects on user memory cannot be described: recording must log it as
    /// unsupported and replay must stop there.
    case unsupported(name: String, reason: String)
    /// The tracee reader returned fewer bytes than asked for while following an indirection.
    case shortRead(address: UInt64, wanted: Int, got: Int)

    public var description: String {
        switch self {
        case .unsupported(let name, let reason):
            return "unsupported system call \(name): \(reason)"
        case .shortRead(let address, let wanted, let got):
            return "short read of tracee memory at 0x\(String(address, radix: 16)): wanted \(wanted) bytes, got \(got)"
        }
    }
}

public enum SyscallTable {
    /// Spec for an x86_64 syscall number, nil if the number is not part of the ABI.
    /// A named call without a full entry gets an `.unsupported` policy and no argument kinds.
    public static func spec(_ number: Int) -> SyscallSpec? {
        guard let name = knownName(number) else { return nil }
        if let entry = entry(number) {
            return SyscallSpec(number: number, name: name, args: entry.args, policy: entry.policy)
        }
        return SyscallSpec(number: number, name: name, args: [], policy: .unsupported(unknownWrites(name)))
    }

    /// How replay handles a call that returned `result` when recorded. A call the kernel does
    /// not implement (any number outside the ABI, `syscall(-1)`) did nothing but return ENOSYS,
    /// and a failed exec or unsupported call changed nothing: they are answered from the log
    /// like any other call.
    public static func replayPolicy(_ number: Int, recordedResult result: Int64?) -> ReplayPolicy {
        if result == -Errno.ENOSYS { return .emulate }
        guard let spec = spec(number) else { return .unsupported("not an x86_64 system call") }
        let failed = result.map { $0 < 0 && $0 > -4096 } ?? false
        if failed, spec.policy == .exec { return .emulate }
        // A call vplay cannot describe wrote nothing when it failed (ptrace of a process
        // another tracer holds, EPERM): the error is all there is to replay.
        if failed, case .unsupported = spec.policy { return .emulate }
        return spec.policy
    }

    /// The clear_child_tid a clone/clone3 call gives the task it creates (CLONE_CHILD_CLEARTID
    /// with a child_tid): where the kernel writes 0 and wakes a futex when that task exits.
    /// Nil for fork/vfork, other calls, or when clone3's arguments cannot be read.
    public static func childClearTid(number: Int, args: [UInt64], memory: TraceeMemoryReader) -> UInt64? {
        let clearTid: UInt64 = 0x200000  // CLONE_CHILD_CLEARTID
        switch name(number) {
        case "clone":
            return args.count > 3 && args[0] & clearTid != 0 && args[3] != 0 ? args[3] : nil
        case "clone3":
            // struct clone_args: flags at offset 0, child_tid at offset 16.
            guard let first = args.first, let raw = try? memory.read(address: first, count: 24), raw.count == 24 else { return nil }
            let flags = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self) }
            let childTid = raw.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt64.self) }
            return flags & clearTid != 0 && childTid != 0 ? childTid : nil
        default:
            return nil
        }
    }

    /// The signal mask a call installs while it waits (sigsuspend, pselect6, ppoll,
    /// epoll_pwait/2): a signal that interrupts it is taken under that mask, and the mask from
    /// before the call comes back when the handler returns. Nil for other calls or a null mask.
    public static func temporarySignalMask(number: Int, args: [UInt64], memory: TraceeMemoryReader) -> UInt64? {
        func mask(at address: UInt64) -> UInt64? {
            guard address != 0, let raw = try? memory.read(address: address, count: 8), raw.count == 8 else { return nil }
            return raw.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        }
        guard args.count == 6 else { return nil }
        switch name(number) {
        case "rt_sigsuspend": return mask(at: args[0])
        case "ppoll": return mask(at: args[3])
        case "epoll_pwait", "epoll_pwait2": return mask(at: args[4])
        case "pselect6":
            // The sixth argument points to { const sigset_t *ss; size_t ss_len; }.
            return mask(at: args[5]).flatMap { mask(at: $0) }
        default: return nil
        }
    }

    /// Name for any number ("syscall_NNN" when unknown), used in errors.
    public static func name(_ number: Int) -> String {
        knownName(number) ?? "syscall_\(number)"
    }

    public static func number(_ name: String) -> Int? {
        numbersByName[name]
    }

    /// Every region of user memory the kernel wrote when this call returned `result`
    /// (the raw rax value as signed; -4095...-1 is an error). Uses `memory` to follow
    /// indirections (iovec arrays, msghdr, out-lengths, ...). Null pointers and empty
    /// regions are never reported.
    public static func writtenRegions(number: Int, args: [UInt64], result: Int64,
                                      memory: TraceeMemoryReader) throws -> [WrittenRegion] {
        let name = name(number)
        // A call the kernel does not implement did nothing at all, whatever vplay knows of it.
        if result == -Errno.ENOSYS { return [] }
        guard let entry = entry(number) else {
            let reason = knownName(number) == nil ? "not an x86_64 system call" : unknownWrites(name)
            throw SyscallTableError.unsupported(name: name, reason: reason)
        }
        if case .unsupported(let reason) = entry.policy {
            if result < 0 && result > -4096 { return [] }  // it failed: nothing was written
            throw SyscallTableError.unsupported(name: name, reason: reason)
        }
        let call = Call(number: number, name: name, args: args, result: result, memory: memory)
        return try entry.outs.flatMap { try $0.regions(in: call) }.filter { $0.length > 0 && $0.address != 0 }
    }

    /// Indices of arguments that are input strings to log for decoding (paths etc.).
    public static func inputStringArgs(_ number: Int) -> [Int] {
        guard let entry = entry(number) else { return [] }
        return entry.args.indices.filter { entry.args[$0] == .path || entry.args[$0] == .string }
    }

    /// Syscall numbers that replay lets through for real: every `.reexecute` and `.memoryMap`
    /// call, plus clone/clone3 (threads are re-created) and the exits. Used to build the
    /// seccomp allow-list of the replayed process. fork and vfork are not in it: processes
    /// are emulated.
    public static let replayAllowedNumbers: [Int] = {
        var allowed = Set(entriesByNumber.indices.filter { number in
            guard let policy = entriesByNumber[number]?.policy else { return false }
            return policy == .reexecute || policy == .memoryMap
        })
        for name in ["clone", "clone3", "exit", "exit_group", "rt_sigreturn"] {
            if let number = numbersByName[name] { allowed.insert(number) }
        }
        return allowed.sorted()
    }()

    // MARK: Lookup

    static func knownName(_ number: Int) -> String? {
        names.indices.contains(number) ? names[number] : nil
    }

    static func entry(_ number: Int) -> Entry? {
        entriesByNumber.indices.contains(number) ? entriesByNumber[number] : nil
    }

    static func unknownWrites(_ name: String) -> String {
        "vplay does not know what \(name) writes"
    }

    static let numbersByName: [String: Int] = {
        var map: [String: Int] = [:]
        for (number, name) in names.enumerated() { if let name { map[name] = number } }
        return map
    }()

    /// Entries indexed by number. An entry naming a call missing from the ABI list is a bug
    /// in the table itself; the tests check every entry resolves.
    static let entriesByNumber: [Entry?] = {
        var table = [Entry?](repeating: nil, count: names.count)
        for entry in entries {
            if let number = numbersByName[entry.name] { table[number] = entry }
        }
        return table
    }()
}

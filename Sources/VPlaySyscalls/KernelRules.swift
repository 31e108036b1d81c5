import VPlayABI
// The table's out-buffer rules in a form code without Swift can apply: the BPF syscall logger
// gets them as data (an array map indexed by number) and copies the bytes at syscall exit.
// Only the declarative kinds whose length comes from a constant, an argument or the result
// (or from a length the kernel stored in user memory) are exported; writes that need code
// (iovec arrays, msghdr, command-dependent calls) are left to the tracer, which the rule says.

/// Where the length of one written region comes from (the address is always an argument).
public enum KernelOutLength: Sendable, Equatable {
    /// A struct of this many bytes.
    case fixed(Int)
    /// args[arg] bytes.
    case sizeArg(Int)
    /// (UInt32)args[countArg] elements of elementSize bytes.
    case countTimes(countArg: Int, elementSize: Int)
    /// result bytes, at most args[maxArg].
    case resultBytes(maxArg: Int)
    /// result elements of elementSize bytes, at most args[maxArg] elements.
    case resultCountTimes(elementSize: Int, maxArg: Int)
    /// The u32 at args[lengthArg] bytes, at most max, and that u32 itself (socket addresses).
    /// Two regions; nothing when either pointer is null.
    case lengthAt(lengthArg: Int, max: Int)

    /// How many regions a call writes through it.
    public var regionCount: Int {
        if case .lengthAt = self { return 2 }
        return 1
    }
}

/// For which results a region is written.
public enum KernelOutCondition: Sendable, Equatable {
    case success
    /// Also when a signal interrupted the call (EINTR and the ERESTART codes).
    case successOrInterrupted
    /// Whatever the result, except -EFAULT.
    case notEFAULT
    /// Only when the call failed with this errno.
    case errno(Int64)
    /// Only when the result is above 0.
    case positive
}

/// One region the kernel writes: at args[arg], of a length found as `length` says.
public struct KernelOut: Sendable, Equatable {
    public let arg: Int
    public let length: KernelOutLength
    public let condition: KernelOutCondition

    public init(arg: Int, length: KernelOutLength, condition: KernelOutCondition) {
        self.arg = arg
        self.length = length
        self.condition = condition
    }
}

/// A call whose writes depend on a command argument (fcntl, ioctl, prctl): for each known command, the
/// bytes it stores at args[bufferArg] when it succeeds (0: none). Other commands need the tracer.
public struct KernelCommandRule: Sendable, Equatable {
    public let commandArg: Int
    public let bufferArg: Int
    /// Command (as the kernel takes it, an unsigned 32-bit value) → bytes written.
    public let writes: [UInt32: Int]
}

/// What a logger outside the tracer must do with a call's writes.
public enum KernelWriteRule: Sendable, Equatable {
    /// These regions are every write of the call (none for most calls).
    case described([KernelOut])
    /// The command argument says what is written; unknown commands need the tracer.
    case byCommand(KernelCommandRule)
    /// The writes need code (the reason names it): the tracer must fetch them.
    case needsTracer(String)
    /// The table cannot capture the call at all (its policy is unsupported).
    case unsupported(String)
}

/// When a logger outside the tracer must have the thread stop after the call (before it runs
/// user code again) so that the tracer acts on it: the written bytes then are the tracer's to read.
public enum TracerStop: Sendable, Equatable {
    case always(String)
    /// Unless args[arg] has every bit of `mask` set.
    case unlessArgHasBits(arg: Int, mask: UInt64, String)
}

extension SyscallTable {
    /// The calls after which the tracer itself must look, beyond writes the logger cannot copy
    /// (those stop too): a file mapping's contents go into the log, as does a grown one's.
    public static func tracerStop(_ number: Int) -> TracerStop? {
        switch Int32(truncatingIfNeeded: number) {
        case SyscallNumber.mmap: return .unlessArgHasBits(arg: 3, mask: 0x20, "a file mapping: the tracer logs the file's contents")  // MAP_ANONYMOUS
        case SyscallNumber.mremap: return .always("a mapping that grew: the tracer logs a file's new part")
        default: return nil
        }
    }

    /// Most regions one call writes (getresuid and recvfrom have three); more make the rule needsTracer.
    public static let maxKernelOuts = 4

    /// The rule for a number of the x86_64 ABI; nil for numbers outside it.
    public static func kernelWriteRule(_ number: Int) -> KernelWriteRule? {
        guard let name = knownName(number) else { return nil }
        guard let entry = entry(number) else { return .unsupported(unknownWrites(name)) }
        if case .unsupported(let reason) = entry.policy { return .unsupported(reason) }
        if let byCommand = kernelCommandRule(number) { return .byCommand(byCommand) }
        var outs: [KernelOut] = []
        for out in entry.outs {
            guard let simple = kernelOut(out, condition: .success) else {
                return .needsTracer("\(name) writes \(describe(out)), which needs the tracer")
            }
            outs.append(simple)
        }
        guard outs.map(\.length.regionCount).reduce(0, +) <= maxKernelOuts else {
            return .needsTracer("\(name) writes more than \(maxKernelOuts) regions")
        }
        return .described(outs)
    }

    /// The known commands of a command-dependent call, from the same lists its decoder uses.
    public static func kernelCommandRule(_ number: Int) -> KernelCommandRule? {
        func rule(_ writes: [UInt32: Int], _ none: Set<UInt32>, command: Int = 1, buffer: Int = 2) -> KernelCommandRule {
            KernelCommandRule(commandArg: command, bufferArg: buffer, writes: writes.merging(none.map { ($0, 0) }) { size, _ in size })
        }
        switch Int32(truncatingIfNeeded: number) {
        case SyscallNumber.fcntl: return rule(Irregular.fcntlWrites, Irregular.fcntlNoWrites)
        case SyscallNumber.ioctl: return rule(IoctlRequests.writes, IoctlRequests.noWrites)
        case SyscallNumber.prctl: return rule(Irregular.prctlWrites, Irregular.prctlNoWrites, command: 0, buffer: 1)
        default: return nil
        }
    }

    /// Every number of the ABI with its rule, ascending.
    public static func kernelWriteRules() -> [(number: Int, rule: KernelWriteRule)] {
        names.indices.compactMap { number in kernelWriteRule(number).map { (number, $0) } }
    }

    private static func kernelOut(_ out: Out, condition: KernelOutCondition) -> KernelOut? {
        // Only one condition may apply: nested wrappers are left to the tracer.
        let plain = condition == .success
        switch out {
        case .fixed(let arg, let size):
            return KernelOut(arg: arg, length: .fixed(size), condition: condition)
        case .sizeArg(let arg, let sizeArg):
            return KernelOut(arg: arg, length: .sizeArg(sizeArg), condition: condition)
        case .countTimes(let arg, let countArg, let elementSize):
            return KernelOut(arg: arg, length: .countTimes(countArg: countArg, elementSize: elementSize), condition: condition)
        case .retBytes(let arg, let sizeArg):
            return KernelOut(arg: arg, length: .resultBytes(maxArg: sizeArg), condition: condition)
        case .retCountTimes(let arg, let elementSize, let maxArg):
            return KernelOut(arg: arg, length: .resultCountTimes(elementSize: elementSize, maxArg: maxArg), condition: condition)
        case .evenWhenInterrupted(let inner):
            return plain ? kernelOut(inner, condition: .successOrInterrupted) : nil
        case .evenOnError(let inner):
            return plain ? kernelOut(inner, condition: .notEFAULT) : nil
        case .onErrno(let errno, let inner):
            return plain ? kernelOut(inner, condition: .errno(errno)) : nil
        case .onPositive(let inner):
            return plain ? kernelOut(inner, condition: .positive) : nil
        case .lengthPtr(let bufArg, let lenPtrArg, let max):
            return KernelOut(arg: bufArg, length: .lengthAt(lengthArg: lenPtrArg, max: max), condition: condition)
        case .iovecRet, .custom:
            return nil
        }
    }

    private static func describe(_ out: Out) -> String {
        switch out {
        case .iovecRet: return "an iovec array"
        case .custom: return "regions found by code"
        case .evenWhenInterrupted(let inner), .evenOnError(let inner), .onErrno(_, let inner), .onPositive(let inner):
            return describe(inner)
        default: return "a region"
        }
    }
}

// The vocabulary of the declarative table: one Entry per call, and Out descriptions of what
// the kernel writes into user memory. Argument indices are 0-based (args[0] is rdi).

import VPlayABI

struct Entry: Sendable {
    let name: String
    let args: [ArgKind]
    let policy: ReplayPolicy
    let outs: [Out]

    init(_ name: String, _ args: [ArgKind], _ outs: Out..., policy: ReplayPolicy = .emulate) {
        self.name = name
        self.args = args
        self.outs = outs
        self.policy = policy
    }

    /// A call whose effects vplay cannot capture; replay stops at it.
    static func unsupported(_ name: String, _ args: [ArgKind], _ reason: String) -> Entry {
        Entry(name, args, policy: .unsupported(reason))
    }
}

/// What a call writes. Unless wrapped, an Out applies only when the call succeeded.
indirect enum Out: Sendable {
    /// A struct of `size` bytes at args[arg].
    case fixed(arg: Int, size: Int)
    /// A buffer at args[arg] whose length is args[sizeArg] (rt_sigprocmask's old set).
    case sizeArg(arg: Int, sizeArg: Int)
    /// An array at args[arg] of args[countArg] elements, all rewritten (poll's pollfd array).
    /// The count is a 32-bit argument (the kernel ignores the register's upper half).
    case countTimes(arg: Int, countArg: Int, elementSize: Int)
    /// `result` bytes at args[arg], never more than args[sizeArg] (read; recvfrom with
    /// MSG_TRUNC and getxattr with size 0 return more than they wrote).
    case retBytes(arg: Int, sizeArg: Int)
    /// `result` elements at args[arg], never more than args[maxArg] (epoll_wait, getgroups).
    case retCountTimes(arg: Int, elementSize: Int, maxArg: Int)
    /// `result` bytes spread in order over the iovec array at args[arg] of args[countArg] entries.
    case iovecRet(arg: Int, countArg: Int)
    /// A buffer at args[bufArg] whose length the kernel stored in the u32 at args[lenPtrArg],
    /// plus that length field itself. Only when the buffer pointer is non-null.
    case lengthPtr(bufArg: Int, lenPtrArg: Int, max: Int)
    /// Code for an irregular call; it applies its own result rules.
    case custom(@Sendable (Call) throws -> [WrittenRegion])
    /// Also written when the call was interrupted by a signal (nanosleep's rem, poll's revents).
    case evenWhenInterrupted(Out)
    /// Written whatever the result, except -EFAULT (select's remaining timeout).
    case evenOnError(Out)
    /// Written only when the call failed with this errno (capget's preferred version).
    case onErrno(Int64, Out)
    /// Written only when the result is above 0 (wait4's status and rusage: a child was reaped;
    /// WNOHANG without one returns 0).
    case onPositive(Out)

    /// Longest socket address the kernel copies out (sizeof(struct sockaddr_storage)). After
    /// the call the length field holds the address's full length, which exceeds what was
    /// copied only if the caller's buffer was smaller; the cap keeps that overestimate bounded.
    static let sockaddrMax = 128

    func regions(in call: Call) throws -> [WrittenRegion] {
        switch self {
        case .custom(let handler):
            return try handler(call)
        case .evenWhenInterrupted(let inner):
            return call.succeeded || call.interrupted ? try inner.unconditionalRegions(call) : []
        case .evenOnError(let inner):
            return call.result != -Errno.EFAULT ? try inner.unconditionalRegions(call) : []
        case .onErrno(let errno, let inner):
            return call.result == -errno ? try inner.unconditionalRegions(call) : []
        case .onPositive(let inner):
            return call.result > 0 ? try inner.unconditionalRegions(call) : []
        default:
            return call.succeeded ? try unconditionalRegions(call) : []
        }
    }

    /// The regions, assuming the result condition has been checked.
    private func unconditionalRegions(_ call: Call) throws -> [WrittenRegion] {
        switch self {
        case .fixed(let arg, let size):
            return call.region(at: call.arg(arg), length: size)
        case .sizeArg(let arg, let sizeArg):
            return call.region(at: call.arg(arg), length: call.length(sizeArg))
        case .countTimes(let arg, let countArg, let elementSize):
            let count = UInt64(UInt32(truncatingIfNeeded: call.arg(countArg)))
            return call.region(at: call.arg(arg), length: saturatingProduct(count, elementSize))
        case .retBytes(let arg, let sizeArg):
            return call.region(at: call.arg(arg), length: min(call.resultCount, call.length(sizeArg)))
        case .retCountTimes(let arg, let elementSize, let maxArg):
            let count = min(UInt64(call.resultCount), call.arg(maxArg))
            return call.region(at: call.arg(arg), length: saturatingProduct(count, elementSize))
        case .iovecRet(let arg, let countArg):
            return try call.spread(call.resultCount, overIovecsAt: call.arg(arg), count: call.arg(countArg))
        case .lengthPtr(let bufArg, let lenPtrArg, let max):
            return try call.lengthPrefixed(buffer: call.arg(bufArg), lengthAt: call.arg(lenPtrArg), max: max)
        case .custom, .evenWhenInterrupted, .evenOnError, .onErrno, .onPositive:
            return try regions(in: call)
        }
    }
}

/// One finished call as the table sees it: arguments, result and the tracee's memory.
struct Call {
    let number: Int
    let name: String
    let args: [UInt64]
    let result: Int64
    let memory: TraceeMemoryReader

    /// Missing arguments read as 0, so a short argument array can never trap.
    func arg(_ index: Int) -> UInt64 {
        args.indices.contains(index) ? args[index] : 0
    }

    var succeeded: Bool { !(-4095 ... -1).contains(result) }

    /// Interrupted by a signal: EINTR, or a restart code seen at the syscall-exit stop.
    var interrupted: Bool {
        [Errno.EINTR, Errno.ERESTARTSYS, Errno.ERESTARTNOINTR, Errno.ERESTARTNOHAND,
         Errno.ERESTART_RESTARTBLOCK].contains(-result)
    }

    /// The result as a byte or element count (0 when it is an error).
    var resultCount: Int { succeeded && result > 0 ? Int(result) : 0 }

    /// args[index] as a length, saturating instead of trapping on absurd values.
    func length(_ index: Int) -> Int { Int(clamping: arg(index)) }

    /// A region, or none when the pointer is null or the length is not positive.
    func region(at address: UInt64, length: Int) -> [WrittenRegion] {
        address == 0 || length <= 0 ? [] : [WrittenRegion(address: address, length: length)]
    }

    func unsupported(_ reason: String) -> SyscallTableError {
        .unsupported(name: name, reason: reason)
    }

    // MARK: Reading the tracee

    func read(_ address: UInt64, _ count: Int) throws -> RemoteBytes {
        let bytes = try memory.read(address: address, count: count)
        guard bytes.count >= count else {
            throw SyscallTableError.shortRead(address: address, wanted: count, got: bytes.count)
        }
        return RemoteBytes(bytes: bytes)
    }

    func u32(at address: UInt64) throws -> UInt32 { try read(address, 4).u32(0) }

    // MARK: Shared indirections

    /// Longest iovec array the kernel accepts (UIO_MAXIOV); a successful call never has more.
    static let maxIovecs: UInt64 = 1024

    /// `total` bytes written in order over an iovec array, as readv and recvmsg fill them.
    func spread(_ total: Int, overIovecsAt address: UInt64, count: UInt64) throws -> [WrittenRegion] {
        guard total > 0, address != 0, count > 0 else { return [] }
        let entries = Int(min(count, Call.maxIovecs))
        let array = try read(address, entries * 16)
        var regions: [WrittenRegion] = []
        var left = total
        for index in 0 ..< entries where left > 0 {
            let base = try array.u64(index * 16)
            let piece = min(Int(clamping: try array.u64(index * 16 + 8)), left)
            regions += region(at: base, length: piece)
            left -= piece
        }
        return regions
    }

    /// A buffer whose written length the kernel stored in a u32 (socklen_t) at `lengthAt`,
    /// and that length field. Nothing when the buffer pointer is null: the kernel skips both.
    func lengthPrefixed(buffer: UInt64, lengthAt: UInt64, max: Int) throws -> [WrittenRegion] {
        guard buffer != 0, lengthAt != 0 else { return [] }
        let length = Int(try u32(at: lengthAt))
        return region(at: buffer, length: min(length, max)) + region(at: lengthAt, length: 4)
    }
}

/// Little-endian fields of bytes read from the tracee; out-of-range offsets throw.
struct RemoteBytes {
    let bytes: [UInt8]

    func u64(_ offset: Int) throws -> UInt64 { try field(offset, 8) }
    func u32(_ offset: Int) throws -> UInt32 { UInt32(truncatingIfNeeded: try field(offset, 4)) }

    private func field(_ offset: Int, _ size: Int) throws -> UInt64 {
        guard offset >= 0, offset + size <= bytes.count else {
            throw SyscallTableError.shortRead(address: 0, wanted: offset + size, got: bytes.count)
        }
        var value: UInt64 = 0
        for index in (offset ..< offset + size).reversed() { value = value << 8 | UInt64(bytes[index]) }
        return value
    }
}

/// count * size, saturating at Int.max: lengths come from registers and tracee memory.
func saturatingProduct(_ count: UInt64, _ size: Int) -> Int {
    let (product, overflow) = Int(clamping: count).multipliedReportingOverflow(by: size)
    return overflow ? Int.max : product
}

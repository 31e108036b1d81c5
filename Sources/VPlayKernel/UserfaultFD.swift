import CVPlay
import Glibc

/// A userfaultfd created inside a traced process (by an injected call) and taken into the
/// tracer with pidfd_getfd, so the tracer registers ranges and resolves the process's faults.
/// Faults on registered pages that are missing wait until `copy` fills them; the tracer's own
/// /proc/PID/mem accesses to such pages fail with EIO instead of waiting.
public final class UserfaultFD: @unchecked Sendable {
    public let fd: Int32
    /// The process whose memory this fd manages.
    public let pid: Int32

    /// Takes the tracee's descriptor `remoteFD` and completes the API handshake.
    public init(takingFrom pid: Int32, fd remoteFD: Int32) throws {
        let fd = vp_pidfd_getfd(pid, remoteFD)
        guard fd >= 0 else {
            throw KernelError("pidfd_getfd of userfaultfd \(remoteFD)", pid: pid, errno: -fd,
                              hint: "needs Linux 5.6 and ptrace access to the process")
        }
        self.fd = fd
        self.pid = pid
        let r = vp_uffd_api(fd)
        if r < 0 {
            close(fd)
            throw KernelError("UFFDIO_API", pid: pid, errno: -r)
        }
    }

    deinit { close(fd) }

    /// Makes missing pages of [start, start+length) fault to this fd.
    public func registerMissing(_ start: UInt64, length: UInt64) throws {
        try check(vp_uffd_register_missing(fd, start, length), "UFFDIO_REGISTER 0x\(String(start, radix: 16)) (+\(length))", pid: pid)
    }

    /// Lets missing pages of the range fill with zeros again (after MADV_DONTNEED, say).
    public func unregister(_ start: UInt64, length: UInt64) throws {
        try check(vp_uffd_unregister(fd, start, length), "UFFDIO_UNREGISTER 0x\(String(start, radix: 16)) (+\(length))", pid: pid)
    }

    public enum Fill: Equatable, Sendable {
        /// The page now holds the bytes (and any thread waiting on it was woken).
        case filled
        /// The page was present already.
        case present
        /// The range is no longer registered (unmapped, replaced or unregistered since).
        case notRegistered
    }

    /// Fills one missing page with `bytes` (exactly one page) and wakes its waiters.
    public func copy(page address: UInt64, _ bytes: [UInt8]) throws -> Fill {
        while true {
            let r = bytes.withUnsafeBytes { vp_uffd_copy(fd, address, $0.baseAddress, UInt64($0.count)) }
            switch -r {
            case 0: return .filled
            case EEXIST: return .present
            case EAGAIN: continue  // the map was changing; try again
            case ENOENT, EINVAL: return .notRegistered
            default: throw KernelError("UFFDIO_COPY 0x\(String(address, radix: 16))", pid: pid, errno: -r)
            }
        }
    }

    /// The next page-fault address, or nil when none arrived within `timeoutMs`.
    public func nextFault(timeoutMs: Int32) throws -> UInt64? {
        var address: UInt64 = 0
        let r = vp_uffd_next_fault(fd, timeoutMs, &address)
        if r < 0 { throw KernelError("read userfaultfd", pid: pid, errno: -r) }
        return r == 1 ? address & ~0xfff : nil
    }
}

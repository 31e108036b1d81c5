import CVPlay
import Glibc
import VPlayABI

/// Reads and writes another process's memory through /proc/PID/mem. Uses the kernel's
/// forced access, so it also reaches read-only and PROT_NONE private mappings (as gdb does).
public final class ProcessMemory {
    public let pid: Int32
    private let fd: Int32
    /// Called when an access fails with EIO, with the part not done yet; returns true when it
    /// made the memory reachable and the access should be tried again. Replay uses it to fill
    /// pages still missing under userfaultfd, which the kernel refuses to /proc/PID/mem.
    public var onUnreachable: ((UInt64, Int) throws -> Bool)?

    public init(pid: Int32) throws {
        self.pid = pid
        let f = open("/proc/\(pid)/mem", O_RDWR | O_CLOEXEC)
        if f < 0 { throw KernelError("open /proc/\(pid)/mem", pid: pid, errno: vp_errno()) }
        fd = f
    }

    deinit { close(fd) }

    /// Reads exactly `count` bytes or throws.
    public func read(_ address: UInt64, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var buf = [UInt8](repeating: 0, count: count)
        var done = 0
        var retried = false
        while done < count {
            let n = buf.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress! + done, count - done, off_t(Int64(bitPattern: address &+ UInt64(done))))
            }
            if n < 0 && vp_errno() == EINTR { continue }
            if n <= 0, !retried, try reachable(address &+ UInt64(done), count - done, n) {
                retried = true
                continue
            }
            if n <= 0 {
                throw KernelError("read \(count) bytes at 0x\(String(address, radix: 16))", pid: pid,
                                  errno: n < 0 ? vp_errno() : EIO)
            }
            done += n
        }
        return buf
    }

    /// Reads what can be read of [address, address+count), page by page where needed.
    /// Returns runs of readable bytes; unreadable pages are left out.
    public func readAvailable(_ address: UInt64, count: Int) -> [PageRun] {
        if let all = try? read(address, count: count) { return [PageRun(address: address, bytes: all)] }
        var runs: [PageRun] = []
        var page = address & ~0xfff
        let end = address + UInt64(count)
        while page < end {
            let start = max(page, address)
            let stop = min(page + 0x1000, end)
            if let bytes = try? read(start, count: Int(stop - start)) {
                if let last = runs.last, last.address + UInt64(last.bytes.count) == start {
                    runs[runs.count - 1].bytes += bytes
                } else {
                    runs.append(PageRun(address: start, bytes: bytes))
                }
            }
            page += 0x1000
        }
        return runs
    }

    public func write(_ address: UInt64, _ bytes: [UInt8]) throws {
        var done = 0
        var retried = false
        while done < bytes.count {
            let n = bytes.withUnsafeBytes {
                pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(Int64(bitPattern: address &+ UInt64(done))))
            }
            if n < 0 && vp_errno() == EINTR { continue }
            if n <= 0, !retried, try reachable(address &+ UInt64(done), bytes.count - done, n) {
                retried = true
                continue
            }
            if n <= 0 {
                throw KernelError("write \(bytes.count) bytes at 0x\(String(address, radix: 16))", pid: pid,
                                  errno: n < 0 ? vp_errno() : EIO)
            }
            done += n
        }
    }

    /// Asks `onUnreachable` to make a range reachable after a failed access.
    private func reachable(_ address: UInt64, _ count: Int, _ result: Int) throws -> Bool {
        guard let onUnreachable, result == 0 || vp_errno() == EIO else { return false }
        return try onUnreachable(address, count)
    }

    /// Reads a NUL-terminated string of at most `limit` bytes.
    public func readString(_ address: UInt64, limit: Int = 4096) throws -> String {
        var out: [UInt8] = []
        var addr = address
        while out.count < limit {
            let chunk = min(256, limit - out.count, Int(0x1000 - (addr & 0xfff)))
            let bytes = try read(addr, count: chunk)
            if let nul = bytes.firstIndex(of: 0) {
                out += bytes[..<nul]
                return String(decoding: out, as: UTF8.self)
            }
            out += bytes
            addr += UInt64(chunk)
        }
        return String(decoding: out, as: UTF8.self)
    }

    public func readU64(_ address: UInt64) throws -> UInt64 {
        let b = try read(address, count: 8)
        return b.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
    }
}

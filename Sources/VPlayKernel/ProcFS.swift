import Foundation
import Glibc
import VPlayBundle

/// Parsers for /proc files.
public enum ProcFS {
    public static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TraceError("cannot read \(path)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// /proc/PID/maps, one MemoryMapping per line.
    public static func maps(_ pid: Int32) throws -> [MemoryMapping] {
        try parseMaps(readText("/proc/\(pid)/maps"))
    }

    public static func parseMaps(_ text: String) throws -> [MemoryMapping] {
        var result: [MemoryMapping] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count >= 5 else { throw TraceError("malformed maps line: \(line)") }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
                  let offset = UInt64(fields[2], radix: 16) else {
                throw TraceError("malformed maps line: \(line)")
            }
            let path = fields.count > 5 ? fields[5].trimmingCharacters(in: .whitespaces) : ""
            result.append(MemoryMapping(start: start, end: end, permissions: String(fields[1]), offset: offset, path: path))
        }
        return result
    }

    /// Key/value lines of /proc/PID/status (or /proc/PID/task/TID/status).
    public static func status(_ path: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for line in try readText(path).split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    public static func hexField(_ status: [String: String], _ key: String) -> UInt64 {
        status[key].flatMap { UInt64($0, radix: 16) } ?? 0
    }

    /// VmRSS in bytes, 0 when unknown.
    public static func residentBytes(_ pid: Int32) -> UInt64 {
        guard let s = try? status("/proc/\(pid)/status"), let v = s["VmRSS"] else { return 0 }
        return (UInt64(v.split(separator: " ").first ?? "0") ?? 0) * 1024
    }

    public static func threadIDs(_ pid: Int32) -> [Int32] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return names.compactMap { Int32($0) }.sorted()
    }

    public static func executable(_ pid: Int32) -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")) ?? "?"
    }

    public static func commandLine(_ pid: Int32) -> [String] {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Present bits from /proc/PID/pagemap for the pages of [start, end).
    public static func presentPages(_ pid: Int32, start: UInt64, end: UInt64) -> [Bool]? {
        let fd = open("/proc/\(pid)/pagemap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let count = Int((end - start) / 0x1000)
        var entries = [UInt64](repeating: 0, count: count)
        let want = count * 8
        let n = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t((start / 0x1000) * 8)) }
        guard n == want else { return nil }
        // bit 63: present, bit 62: swapped.
        return entries.map { ($0 >> 62) & 3 != 0 }
    }
}

/// CPU time (ns) a thread of another process has used, from its per-thread CPU clock.
public func threadCPUNanos(_ tid: Int32) -> UInt64? {
    // MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED): (~tid << 3) | 2 | 4.
    let clock = clockid_t((~Int32(tid) << 3) | 6)
    var ts = timespec()
    if clock_gettime(clock, &ts) == 0 { return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec) }
    return nil
}

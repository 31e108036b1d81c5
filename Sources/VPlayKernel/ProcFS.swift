import Foundation
import Glibc
import VPlayABI

/// Parsers for /proc files.
public enum ProcFS {
    /// Reads a whole /proc file: they are generated a page at a time, so read until EOF.
    /// Fails unless /proc belongs to this process's PID namespace. Inside `unshare -fp` without
    /// a /proc of its own, wait() reports pids that /proc does not know (or knows as other
    /// processes), and every /proc/PID access would read the wrong task.
    public static func requireOwnPIDNamespace(root: String = "/proc") throws {
        let own = getpid()
        let seen = (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(root)/self")).flatMap { Int32($0) }
        guard seen != own else { return }
        let what = seen.map { "it calls this process \($0)" } ?? "it has no entry for this process"
        throw TraceError("\(root) belongs to another PID namespace (this process is pid \(own) in its own namespace; \(what)): "
                         + "mount a /proc of this namespace, for example with `unshare --fork --pid --mount-proc`")
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try readBytes(path), as: UTF8.self)
    }

    public static func readBytes(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TraceError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw TraceError("cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            data += chunk[..<n]
        }
        return data
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
            // Only the column padding goes: a file name may itself end in a space.
            let path = fields.count > 5 ? String(fields[5].drop(while: { $0 == " " })) : ""
            result.append(MemoryMapping(start: start, end: end, permissions: String(fields[1]), offset: offset, path: path))
        }
        return result
    }

    /// Key/value lines of /proc/PID/status (or /proc/PID/task/TID/status).
    /// The CPUs a thread may run on (Cpus_allowed_list of /proc/TID/status: "0", "0-3,6"), or nil.
    public static func allowedCPUs(_ tid: Int32) -> Set<Int>? {
        guard let list = (try? status("/proc/\(tid)/status"))?["Cpus_allowed_list"] else { return nil }
        var cpus: Set<Int> = []
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let low = bounds.first, let high = bounds.last, low <= high else { return nil }
            cpus.formUnion(low...high)
        }
        return cpus
    }

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

    public enum SignalDisposition { case caught, ignored, byDefault }

    /// How process `pid` handles standard signal `signal` now (SigCgt and SigIgn of its status);
    /// nil for a real-time signal or when the status cannot be read.
    public static func disposition(of signal: Int32, in pid: Int32) -> SignalDisposition? {
        guard signal > 0, signal < 32, let s = try? status("/proc/\(pid)/status") else { return nil }
        let bit: UInt64 = 1 << UInt64(signal - 1)
        if hexField(s, "SigCgt") & bit != 0 { return .caught }
        return hexField(s, "SigIgn") & bit != 0 ? .ignored : .byDefault
    }

    /// Alive and not a zombie (a finished child stays one until its parent reaps it).
    public static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let state = taskState(pid, pid) else { return false }
        return state != "Z" && state != "X"
    }

    /// The scheduler state letter of a thread (/proc/PID/task/TID/stat field 3: R running, S
    /// sleeping, D in uninterruptible sleep, t traced, Z zombie…); nil when it is gone.
    public static func taskState(_ pid: Int32, _ tid: Int32) -> Character? {
        guard let stat = try? readText("/proc/\(pid)/task/\(tid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ").first?.first
    }

    /// VmRSS in bytes, 0 when unknown.
    /// Seconds since the epoch at which the process started: /proc/PID/stat field 22 (clock
    /// ticks after boot) plus the boot time from /proc/stat.
    public static func startTime(_ pid: Int32) -> Double? {
        guard let stat = try? readText("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces); starttime is field 22 overall.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let btimeLine = (try? readText("/proc/stat"))?.split(separator: "\n").first(where: { $0.hasPrefix("btime ") }),
              let boot = Double(btimeLine.dropFirst(6)) else { return nil }
        return boot + ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

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
        guard let data = try? readBytes("/proc/\(pid)/cmdline") else { return [] }
        return data.split(separator: 0, omittingEmptySubsequences: false).dropLast().map { String(decoding: $0, as: UTF8.self) }
    }

    /// Present bits from /proc/PID/pagemap for the pages of [start, end).
    /// The soft "Max stack size" of /proc/PID/limits in bytes (UInt64.max: unlimited), or nil.
    public static func stackLimit(_ pid: Int32) -> UInt64? {
        guard let text = try? readText("/proc/\(pid)/limits"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Max stack size") }) else { return nil }
        let soft = line.dropFirst("Max stack size".count).split(separator: " ", omittingEmptySubsequences: true).first
        if soft == "unlimited" { return .max }
        return soft.flatMap { UInt64($0) }
    }

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

/// CPU time (ns) a thread has used: the first field of /proc/TID/schedstat. Exact for a
/// stopped thread, and for a running one when the reader shares its CPU (it is then off it).
public func threadCPUNanos(_ tid: Int32) -> UInt64? {
    ThreadCPUClock(tid: tid)?.nanos()
}

/// FNV-1a 64 of the bytes in `ranges` (start, length pairs); unreadable bytes count as absent.
public func memoryFingerprint(_ memory: ProcessMemory, ranges: [UInt64]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for i in stride(from: 0, to: ranges.count - 1, by: 2) {
        for run in memory.readAvailable(ranges[i], count: Int(ranges[i + 1])) { hash = fnv1a(run.bytes, from: hash) }
    }
    return hash
}

/// The fingerprint of bytes already read (as `memoryFingerprint` of one range holding them).
public func memoryFingerprint(of bytes: [UInt8]) -> UInt64 {
    fnv1a(bytes, from: 0xcbf2_9ce4_8422_2325)
}

/// FNV-1a 64 of `bytes`, continued from `hash`.
func fnv1a(_ bytes: [UInt8], from hash: UInt64) -> UInt64 {
    var hash = hash
    bytes.withUnsafeBufferPointer { buffer in
        for b in buffer { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 }
    }
    return hash
}

/// A thread's CPU-time counter, kept open so each reading is one pread.
public final class ThreadCPUClock {
    private let fd: Int32
    public init?(tid: Int32) {
        fd = open("/proc/\(tid)/schedstat", O_RDONLY | O_CLOEXEC)
        if fd < 0 { return nil }
    }
    deinit { close(fd) }

    public func nanos() -> UInt64? {
        var buf = [UInt8](repeating: 0, count: 96)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        var value: UInt64 = 0
        for b in buf[..<n] {
            guard b >= 48 && b <= 57 else { break }
            value = value &* 10 &+ UInt64(b - 48)
        }
        return value
    }
}

/// Memory that tells apart iterations of a loop whose registers repeat: the stack right around
/// `sp` (its red zone and the 192 bytes above, where a small frame keeps its locals) and the
/// program's own writable data (its rw mappings and the bss after them). Not more of the
/// stack: a signal frame the kernel just pushed lies above `sp`, and past its saved
/// general-purpose registers it holds state that need not repeat in replay (the xsave area,
/// the last fault's cr2); below the red zone the stack is dead. `data` false: the stack only
/// (other threads may have changed the data since the point).
public func fingerprintRanges(maps: [MemoryMapping], program: String, sp: UInt64, data: Bool = true) -> [UInt64] {
    var ranges: [UInt64] = []
    if let stack = maps.first(where: { $0.start <= sp && sp < $0.end }) {
        let start = max(stack.start, sp &- 128)
        let end = min(stack.end, sp &+ 192)
        ranges += [start, end - start]
    }
    // The first 64 KiB of the program's data and bss: every signal is hashed, and a program
    // taking one every millisecond must not spend its time waiting for the recorder.
    let cap: UInt64 = 64 << 10
    for (i, m) in maps.enumerated() where data && m.path == program && m.writable {
        ranges += [m.start, min(m.size, cap)]
        if i + 1 < maps.count, maps[i + 1].path.isEmpty, maps[i + 1].start == m.end, maps[i + 1].writable {
            ranges += [maps[i + 1].start, min(maps[i + 1].size, cap)]
        }
    }
    return ranges
}

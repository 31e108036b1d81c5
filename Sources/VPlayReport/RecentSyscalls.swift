import VPlayBundle
import VPlaySyscalls

/// One syscall of the log, decoded strace-like by the syscall table.
public struct SyscallLine: Equatable, Sendable {
    public var tid: Int32
    /// Seconds from the call's entry to the crash (positive: before it).
    public var secondsBeforeCrash: Double
    public var number: Int32
    public var name: String
    /// `openat(AT_FDCWD, "/etc/app.conf", O_RDONLY) = 3`; `= ?` when it never returned.
    public var text: String
}

/// The last kernel interactions before the crash.
public struct SyscallSection: Equatable, Sendable {
    /// Oldest first.
    public var lines: [SyscallLine]
    /// Calls in the log (of the selected thread, when one is).
    public var total: Int
}

/// The log's syscalls as strace-like lines.
public enum RecentSyscalls {
    /// The last `limit` calls (all when nil) of `thread` (all when nil), oldest first, timed
    /// relative to `crashTime` (nanoseconds since window start). A call that never returned
    /// shows `= ?`.
    public static func section(_ log: [LogEvent], limit: Int?, thread: Int32?, crashTime: UInt64) -> SyscallSection {
        var pending: [Int32: Entry] = [:]
        var lines: [(time: UInt64, line: SyscallLine)] = []
        func add(_ tid: Int32, _ entry: Entry, _ result: Int64?, _ writes: [MemoryWrite]) {
            let text = SyscallFormatter.describe(number: Int(entry.number), args: entry.args, strings: entry.strings,
                                                 result: result, written: writes.map { ($0.address, $0.bytes) })
            let before = Double(Int64(bitPattern: crashTime &- entry.time)) / 1e9
            lines.append((entry.time, SyscallLine(tid: tid, secondsBeforeCrash: before, number: entry.number,
                                                  name: SyscallTable.name(Int(entry.number)), text: text)))
        }
        for event in log where thread == nil || event.tid == thread {
            switch event {
            case .syscallEntry(let tid, let time, let number, let args, let strings):
                if let open = pending[tid] { add(tid, open, nil, []) }
                pending[tid] = Entry(number: number, args: args, strings: strings, time: time)
            case .syscallExit(let tid, _, _, let result, let writes):
                if let open = pending.removeValue(forKey: tid) { add(tid, open, result, writes) }
            default:
                break
            }
        }
        for (tid, open) in pending { add(tid, open, nil, []) }
        // By entry time, as strace prints calls; ties keep log order.
        let ordered = lines.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element.line)
        let shown = limit.map { Array(ordered.suffix(max(0, $0))) } ?? ordered
        return SyscallSection(lines: shown, total: ordered.count)
    }

    /// The crash's time in the log: the delivery of the fatal signal to the crashing thread,
    /// else the last event (the exit).
    public static func crashTime(_ log: [LogEvent], crash: CrashRecord) -> UInt64 {
        for event in log.reversed() {
            if case .signal(let tid, let time, let signal, _, _, _) = event, tid == crash.tid, signal == crash.signal {
                return time
            }
        }
        return log.last?.time ?? 0
    }

    private struct Entry {
        var number: Int32
        var args: [UInt64]
        var strings: [String]
        var time: UInt64
    }
}

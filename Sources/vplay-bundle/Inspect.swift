import ArgumentParser
import Foundation
import VPlayBundle
import VPlaySyscalls

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize a bundle: the process, its end, the window, the log and memory.",
        discussion: "Exit status: 0 success, 2 unreadable bundle or bad arguments.")

    @Argument(help: "The .vplay bundle.")
    var bundle: String

    @Flag(help: "Print the manifest as JSON.")
    var json = false

    @Option(help: "How many of the last kernel interactions to show: a number or 'all'.")
    var syscalls: String = "20"

    @Option(help: "Show only this thread's interactions.")
    var thread: Int32?

    func validate() throws {
        guard syscalls == "all" || (Int(syscalls).map { $0 >= 0 } ?? false) else {
            throw ValidationError("--syscalls takes a number or 'all'")
        }
    }

    func run() throws {
        // Read everything, so a damaged bundle is reported here and not first at replay.
        let loaded = try loadBundle(bundle)
        let manifest = loaded.manifest
        let recent = RecentSyscalls.lines(loaded.log, limit: Int(syscalls), thread: thread)
        if json {
            let data = try manifest.jsonData()
            // Absent optionals appear as null, so scripts can test crash.signal == null.
            var object = (try JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
            if var crash = object["crash"] as? [String: Any] {
                for key in ["signal", "signalName", "exitCode", "code", "faultAddress"] where crash[key] == nil {
                    crash[key] = NSNull()
                }
                object["crash"] = crash
            }
            object["recentSyscalls"] = recent.map {
                ["tid": $0.tid, "secondsBeforeEnd": $0.secondsBeforeEnd, "number": $0.number, "call": $0.text] as [String: Any]
            }
            let out = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: out, as: UTF8.self))
            return
        }
        print(Inspect.human(manifest))
        print("\nlast \(recent.count) kernel interactions\(thread.map { " of thread \($0)" } ?? "") (seconds before the end):")
        for r in recent {
            print(String(format: "  -%.6f  [%d] ", r.secondsBeforeEnd, r.tid) + r.text)
        }
    }

    static func human(_ m: Manifest) -> String {
        let c = m.crash
        let end = c.signal.map { "\(c.signalName ?? "signal \($0)") (code \(c.code ?? 0))" } ?? "exit code \(c.exitCode ?? 0)"
        var lines = [
            "bundle format \(m.formatVersion), vplay \(m.toolVersion), written \(m.createdAt)",
            "process   \(m.process.pid) \(m.process.program) \(m.process.argv.dropFirst().joined(separator: " "))",
            "end       \(end) in thread \(c.tid) at pc 0x\(String(c.pc, radix: 16))"
                + (c.faultAddress.map { ", fault address 0x\(String($0, radix: 16))" } ?? ""),
            "window    \(String(format: "%.3f", m.window.duration)) s (configured \(m.window.seconds) s, started at \(m.window.startReason))",
            "log       \(m.log.syscalls) syscalls, \(m.log.signals) signals, \(m.log.rdtsc) rdtsc, \(m.log.events) events",
            "memory    \(m.memory.savedBytes) bytes saved of \(m.memory.residentBytes) resident, \(m.memory.mappings) mappings"
                + (m.memory.captureSeconds.map { String(format: ", captured in %.3f s", $0) } ?? "")
                + (m.window.snapshotSeconds.map { String(format: ", window-start snapshot %.4f s", $0) } ?? ""),
            "verified  \(m.verified ? "yes" : "no")",
        ]
        if let container = m.container, !container.isEmpty {
            lines.append("container " + container.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
        for w in m.warnings { lines.append("warning   \(w)") }
        return lines.joined(separator: "\n")
    }
}

/// The log's syscalls as strace-like lines, decoded by the syscall table.
enum RecentSyscalls {
    struct Line {
        var tid: Int32
        var secondsBeforeEnd: Double
        var number: Int32
        var text: String
    }

    /// The last `limit` calls (all when nil), oldest first; a call that never returned shows `= ?`.
    static func lines(_ log: [LogEvent], limit: Int?, thread: Int32?) -> [Line] {
        let end = log.last?.time ?? 0
        var open: [Int32: (number: Int32, args: [UInt64], strings: [String], time: UInt64)] = [:]
        var out: [Line] = []
        func add(_ tid: Int32, _ e: (number: Int32, args: [UInt64], strings: [String], time: UInt64), _ result: Int64?,
                 _ writes: [MemoryWrite]) {
            let text = SyscallFormatter.describe(number: Int(e.number), args: e.args, strings: e.strings, result: result,
                                                 written: writes.map { ($0.address, $0.bytes) })
            out.append(Line(tid: tid, secondsBeforeEnd: Double(end &- e.time) / 1e9, number: e.number, text: text))
        }
        for event in log where thread == nil || event.tid == thread {
            switch event {
            case .syscallEntry(let tid, let time, let number, let args, let strings):
                if let pending = open[tid] { add(tid, pending, nil, []) }
                open[tid] = (number, args, strings, time)
            case .syscallExit(let tid, _, _, let result, let writes):
                if let pending = open.removeValue(forKey: tid) { add(tid, pending, result, writes) }
            default:
                break
            }
        }
        for (tid, pending) in open.sorted(by: { $0.value.time < $1.value.time }) { add(tid, pending, nil, []) }
        guard let limit else { return out }
        return Array(out.suffix(limit))
    }
}

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
            object["mappings"] = loaded.state.mappings.map {
                ["start": $0.start, "end": $0.end, "permissions": $0.permissions, "offset": $0.offset, "path": $0.path,
                 "savedBytes": Inspect.savedBytes(loaded, in: $0)] as [String: Any]
            }
            object["recentSyscalls"] = recent.map {
                ["tid": $0.tid, "secondsBeforeEnd": $0.secondsBeforeEnd, "number": $0.number, "call": $0.text] as [String: Any]
            }
            let out = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: out, as: UTF8.self))
            return
        }
        print(Inspect.human(manifest))
        print(Inspect.mappings(loaded))
        print("\nlast \(recent.count) kernel interactions\(thread.map { " of thread \($0)" } ?? "") (seconds before the end):")
        for r in recent {
            print(String(format: "  -%.6f  [%d] ", r.secondsBeforeEnd, r.tid) + r.text)
        }
    }

    /// What a signal's si_code says about its cause.
    static func codeMeaning(signal: Int32, code: Int32) -> String {
        let byCode: [Int32: String] = [0: "SI_USER: sent by kill", -1: "SI_QUEUE: sent by sigqueue", -2: "SI_TIMER: timer expired",
                                       -6: "SI_TKILL: sent by tkill/tgkill (abort, raise)", 128: "SI_KERNEL: sent by the kernel"]
        let faults: [Int32: [Int32: String]] = [
            11: [1: "SEGV_MAPERR: address not mapped", 2: "SEGV_ACCERR: invalid permissions for the mapping",
                 128: "SI_KERNEL: general protection fault (e.g. a non-canonical address)"],
            7: [1: "BUS_ADRALN: invalid address alignment", 2: "BUS_ADRERR: nonexistent physical address",
                3: "BUS_OBJERR: object-specific hardware error (e.g. beyond the end of a mapped file)"],
            4: [1: "ILL_ILLOPC: illegal opcode", 2: "ILL_ILLOPN: illegal operand", 4: "ILL_ILLTRP: illegal trap",
                5: "ILL_PRVOPC: privileged opcode"],
            8: [1: "FPE_INTDIV: integer divide by zero", 2: "FPE_INTOVF: integer overflow", 3: "FPE_FLTDIV: floating-point divide by zero"],
            5: [1: "TRAP_BRKPT: breakpoint", 2: "TRAP_TRACE: trace trap", 128: "SI_KERNEL: int3"],
        ]
        return faults[signal]?[code] ?? byCode[code] ?? "code \(code)"
    }

    /// Bytes of the mapping the bundle holds.
    static func savedBytes(_ b: VPlayBundle.Bundle, in m: MemoryMapping) -> UInt64 {
        b.pages.reduce(UInt64(0)) { sum, run in
            let start = max(run.address, m.start), end = min(run.address + UInt64(run.bytes.count), m.end)
            return end > start ? sum + (end - start) : sum
        }
    }

    /// The window-start memory map with how much of each mapping the bundle holds.
    static func mappings(_ b: VPlayBundle.Bundle) -> String {
        var lines = ["", "memory map at window start (saved KiB / size KiB):"]
        for m in b.state.mappings {
            let saved = savedBytes(b, in: m)
            lines.append(String(format: "  %012llx-%012llx %@ %8llu / %8llu  %@", m.start, m.end, m.permissions as NSString,
                                saved / 1024, m.size / 1024, m.path as NSString))
        }
        return lines.joined(separator: "\n")
    }

    /// Whether a trial replay proved the saved pages enough, and what it found.
    static func verification(_ m: Manifest) -> String {
        guard let t = m.trial else { return m.verified ? "yes" : "no (no trial replay ran)" }
        if m.verified {
            return String(format: "yes: the trial replay reproduced the end, touching %d pages, in %.3f s", t.pagesTouched, t.seconds)
        }
        return "no: every resident page is kept because the trial replay did not reproduce the end (\(t.divergence ?? "no reason given"))"
    }

    static func human(_ m: Manifest) -> String {
        let c = m.crash
        let end = c.signal.map { "\(c.signalName ?? "signal \($0)") (\(codeMeaning(signal: $0, code: c.code ?? 0)))" } ?? "exit code \(c.exitCode ?? 0)"
        var lines = [
            "bundle format \(m.formatVersion), vplay \(m.toolVersion), written \(m.createdAt)",
            "process   \(m.process.pid) \(m.process.program) \(m.process.argv.dropFirst().joined(separator: " "))",
            "end       \(end) in thread \(c.tid) at pc 0x\(String(c.pc, radix: 16))"
                + (c.faultAddress.map { ", fault address 0x\(String($0, radix: 16))" } ?? ""),
            "window    \(String(format: "%.3f", m.window.duration)) s (configured \(m.window.seconds) s, started at \(m.window.startReason))",
            "log       \(m.log.syscalls) syscalls, \(m.log.signals) signals, \(m.log.rdtsc) rdtsc, \(m.log.events) events",
            "memory    \(m.memory.savedBytes) bytes saved of \(m.memory.residentBytes) resident"
                + (m.memory.residentBytes > 0 ? String(format: " (%.2f %%)", 100 * Double(m.memory.savedBytes) / Double(m.memory.residentBytes)) : "")
                + ", \(m.memory.mappings) mappings"
                + (m.memory.captureSeconds.map { String(format: ", captured in %.3f s", $0) } ?? "")
                + (m.window.snapshotSeconds.map { String(format: ", window-start snapshot %.4f s", $0) } ?? ""),
            "verified  \(verification(m))",
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

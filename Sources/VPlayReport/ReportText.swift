import Foundation
import VPlayBundle
import VPlaySymbols

/// The report for a terminal: sections with headings, aligned columns. The order is that of
/// a crash reporter's first screen: who crashed, where, how it got there, then the evidence.
public enum ReportText {
    public static func render(_ r: CrashReport) -> String {
        var lines = header(r) + container(r) + process(r.manifest) + crash(r)
        for trace in r.backtraces { lines += backtrace(trace) }
        if let first = r.registers.first { lines += registers(first, r) }
        lines += ReportTextEvidence.syscalls(r) + ReportTextEvidence.memory(r) + ReportTextEvidence.objects(r)
            + ReportTextEvidence.warnings(r)
        return lines.joined(separator: "\n")
    }

    static func header(_ r: CrashReport) -> [String] {
        let m = r.manifest
        return ["vplay crash report: \(TextLayout.oneLine(r.bundlePath))",
                "  bundle format \(m.formatVersion), written by vplay \(m.toolVersion) at \(m.createdAt), "
                    + "\(TextLayout.size(r.bundleBytes)) (\(r.bundleBytes) bytes)"]
    }

    static func container(_ r: CrashReport) -> [String] {
        guard let c = r.container else { return [] }
        var lines = TextLayout.heading("CONTAINER")
        if let id = c.id { lines.append(TextLayout.field("id", TextLayout.oneLine(id))) }
        if let bundle = c.bundle { lines.append(TextLayout.field("bundle", TextLayout.oneLine(bundle))) }
        for (key, value) in c.annotations.sorted(by: { $0.key < $1.key }) {
            lines.append(TextLayout.field("annotation", TextLayout.oneLine("\(key)=\(value)")))
        }
        return lines
    }

    static func process(_ m: Manifest) -> [String] {
        var lines = TextLayout.heading("PROCESS")
        lines.append(TextLayout.field("pid", String(m.process.pid)))
        lines.append(TextLayout.field("program", TextLayout.oneLine(m.process.program)))
        lines.append(TextLayout.field("argv", TextLayout.oneLine(m.process.argv.map(shellQuoted).joined(separator: " "))))
        lines.append(TextLayout.field("started", m.process.startTime ?? "unknown"))
        return lines
    }

    static func crash(_ r: CrashReport) -> [String] {
        let c = r.crash
        var lines = TextLayout.heading("CRASH")
        if let f = r.caughtFault { lines += caughtFault(f) }
        if let signal = c.signal {
            let name = c.signalName ?? "signal \(signal)"
            let reraise = r.caughtFault.map { _ in ", sent by the process itself after its handler ran" } ?? ""
            lines.append(TextLayout.field("end", "\(name) (\(c.codeMeaning?.text ?? "no si_code")) in thread \(c.tid)\(reraise)"))
        } else {
            lines.append(TextLayout.field("end", "exit code \(c.exitCode ?? 0) in thread \(c.tid)"))
        }
        if let fault = c.faultAddress {
            let place = c.faultMapping.map { "in \($0.path.isEmpty ? "[anonymous]" : $0.path) (\($0.permissions))" }
                ?? "not in any mapping"
            lines.append(TextLayout.field("fault", "address \(TextLayout.hex(fault)), \(place)"))
        }
        lines.append(TextLayout.field("pc", "\(TextLayout.hex(c.pc.address))  \(TextLayout.oneLine(c.pc.description))"))
        lines.append(TextLayout.field("time", r.manifest.crash.time))
        return lines
    }

    /// The fault that started it all, first: a person needs it before the handler's re-raise.
    static func caughtFault(_ f: CaughtFault) -> [String] {
        var lines = [TextLayout.field("first", "\(f.signalName) (\(f.codeMeaning.text)) in thread \(f.tid), caught by the program's handler "
                                      + String(format: "%.6f s", f.secondsBeforeCrash) + " before the end")]
        if let fault = f.faultAddress {
            let place = f.faultMapping.map { "in \($0.path.isEmpty ? "[anonymous]" : $0.path) (\($0.permissions))" } ?? "not in any mapping"
            lines.append(TextLayout.field("fault", "address \(TextLayout.hex(fault)), \(place)"))
        }
        lines.append(TextLayout.field("fault pc", "\(TextLayout.hex(f.pc.address))  \(TextLayout.oneLine(f.pc.description))"))
        return lines
    }

    static func backtrace(_ t: ThreadBacktrace) -> [String] {
        let role = t.crashed ? "crashed" : "at the crash"
        var lines = TextLayout.heading("BACKTRACE of thread \(t.tid) (\(role); \(methodSummary(t)))")
        let width = min(48, t.frames.map { $0.location.symbolWithOffset.count }.max() ?? 0)
        let indexWidth = String(max(0, t.frames.count - 1)).count + 1
        for f in t.frames {
            let object = f.location.object.map { "in " + CodeLocation.baseName($0) } ?? ""
            let symbol = TextLayout.oneLine(f.location.symbolWithOffset)
            lines.append("  " + TextLayout.padded("#\(f.index)", indexWidth) + "  " + TextLayout.address(f.pc) + "  "
                         + TextLayout.padded(symbol, width) + "  " + TextLayout.padded(TextLayout.oneLine(object), 24)
                         + "  [" + methodName(f.method) + "]")
        }
        lines.append(t.complete ? "  (end of the stack: \(t.stop))" : "  (unwinding stopped: \(t.stop))")
        return lines
    }

    /// Which unwinding the caller frames needed, in words.
    static func methodSummary(_ t: ThreadBacktrace) -> String {
        let used = t.methods
        guard !used.isEmpty else { return "only the registers' frame" }
        return "unwound with " + used.map(methodName).joined(separator: " and ")
    }

    static func methodName(_ m: UnwindMethod) -> String {
        switch m {
        case .registers: return "registers"
        case .cfi: return ".eh_frame CFI"
        case .framePointer: return "frame pointers"
        }
    }

    static func registers(_ t: ThreadRegisters, _ r: CrashReport) -> [String] {
        var lines = TextLayout.heading("REGISTERS of thread \(t.tid)")
        let all = RegisterNames.ordered(t.registers)
        let general = all.prefix(16).map { TextLayout.padded($0.name, 4) + TextLayout.address($0.value) }
        // Three a row keeps the section within 80 columns.
        for row in stride(from: 0, to: general.count, by: 3) {
            lines.append("  " + general[row..<min(row + 3, general.count)].joined(separator: "   "))
        }
        let pc = r.backtraces.first { $0.tid == t.tid }?.frames.first?.location
        lines.append("  rip " + TextLayout.address(t.registers.rip) + (pc.map { "  " + TextLayout.oneLine($0.description) } ?? ""))
        lines.append("  eflags " + TextLayout.hex(t.registers.eflags) + " " + RegisterNames.flags(t.registers.eflags))
        lines.append("  " + all[18..<24].map { "\($0.name) \(TextLayout.hex($0.value))" }.joined(separator: "  "))
        lines.append("  " + all[24...].map { "\($0.name) \(TextLayout.hex($0.value))" }.joined(separator: "  "))
        return lines
    }

    /// An argument as a shell would need it, so argv reads unambiguously.
    static func shellQuoted(_ arg: String) -> String {
        let plain = arg.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "/._-+=:,@%".unicodeScalars.contains($0) }
        return plain && !arg.isEmpty ? arg : "'" + arg.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

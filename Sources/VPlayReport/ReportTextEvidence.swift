import Foundation
import VPlayBundle
import VPlaySyscalls

/// The text report's evidence sections: the kernel interactions before the crash, memory,
/// the bundled objects and warnings.
enum ReportTextEvidence {
    static func syscalls(_ r: CrashReport) -> [String] {
        let s = r.syscalls
        let scope = r.options.thread.map { " of thread \($0)" } ?? ""
        var lines = TextLayout.heading("KERNEL INTERACTIONS\(scope): last \(s.lines.count) of \(s.total) syscalls (seconds before the crash)")
        var fault = r.caughtFault.flatMap { f in r.options.thread == nil || r.options.thread == f.tid ? f : nil }
        for line in s.lines {
            if let f = fault, f.secondsBeforeCrash >= line.secondsBeforeCrash {
                lines.append(caught(f))
                fault = nil
            }
            lines.append("  " + TextLayout.rightAligned(String(format: "%.6f", -line.secondsBeforeCrash), 9)
                         + "  [\(line.tid)] " + TextLayout.oneLine(line.text))
        }
        if let f = fault { lines.append(caught(f)) }
        if r.options.thread == nil || r.options.thread == r.crash.tid { lines += end(r) }
        return lines
    }

    /// A fault the program's handler caught, as strace shows a signal.
    static func caught(_ f: CaughtFault) -> String {
        var info = ["si_signo=\(f.signalName)", "si_code=\(f.codeMeaning.name ?? String(f.code))"]
        if let address = f.faultAddress { info.append("si_addr=\(TextLayout.hex(address))") }
        return "  " + TextLayout.rightAligned(String(format: "%.6f", -f.secondsBeforeCrash), 9)
            + "  [\(f.tid)] --- \(f.signalName) {\(info.joined(separator: ", "))} --- caught by the program's handler"
    }

    /// The end as strace shows it: the fatal signal and the kill, or the exit.
    static func end(_ r: CrashReport) -> [String] {
        let c = r.crash, prefix = "  " + TextLayout.rightAligned("0.000000", 9) + "  [\(c.tid)] "
        guard let signal = c.signal else { return [prefix + "+++ exited with \(c.exitCode ?? 0) +++"] }
        let name = c.signalName ?? signalName(signal)
        var info = ["si_signo=\(name)", "si_code=\(c.codeMeaning?.name ?? String(c.code ?? 0))"]
        if let fault = c.faultAddress { info.append("si_addr=\(TextLayout.hex(fault))") }
        return [prefix + "--- \(name) {\(info.joined(separator: ", "))} ---", prefix + "+++ killed by \(name) +++"]
    }

    static func memory(_ r: CrashReport) -> [String] {
        let m = r.manifest
        var lines = TextLayout.heading("MEMORY")
        let share = m.memory.residentBytes > 0
            ? String(format: " (%.2f %%)", 100 * Double(m.memory.savedBytes) / Double(m.memory.residentBytes)) : ""
        lines.append(TextLayout.field("saved", "\(m.memory.savedBytes) bytes saved of \(m.memory.residentBytes) resident\(share): "
                                      + "\(r.memory.savedPages) pages of \(r.memory.mappings.count) mappings"))
        lines.append(TextLayout.field("verified", verification(m)))
        lines.append(TextLayout.field("window", String(format: "%.3f s of log", m.window.duration)
                                      + " (configured \(m.window.seconds) s; started at \(m.window.startReason), \(m.window.startTime))"))
        let preemptions = m.log.preemptions.map { ", \($0) preemptions" } ?? ""
        lines.append(TextLayout.field("log", "\(m.log.syscalls) syscalls, \(m.log.signals) signals, \(m.log.rdtsc) rdtsc\(preemptions), \(m.log.events) events"))
        if let recording = m.recording {
            let schedule = recording.schedule.map { $0 == RecordingInfo.Schedule.full ? ", every thread switch logged"
                : ", thread switches between syscalls not logged (\($0) schedule)" } ?? ""
            lines.append(TextLayout.field("recorded", "on the \(recording.path) path\(schedule)"))
        }
        if let capture = capture(m) { lines.append(TextLayout.field("capture", capture)) }
        lines.append(TextLayout.field("bundle", "\(TextLayout.size(r.bundleBytes)): \(r.objects.count) ELF objects "
                                      + "(\(TextLayout.size(r.memory.objectBytes))), stacks at the crash \(TextLayout.size(r.memory.crashStackBytes))"))
        lines.append("  memory map at window start (saved pages / pages):")
        for u in r.memory.mappings {
            let mp = u.mapping
            lines.append("    " + String(mp.start, radix: 16) + "-" + String(mp.end, radix: 16) + " " + TextLayout.padded(TextLayout.oneLine(mp.permissions), 4)
                         + " " + TextLayout.rightAligned(String(u.savedPages), 7) + " / " + TextLayout.rightAligned(String(u.pages), 7)
                         + "  " + TextLayout.oneLine(mp.path))
        }
        return lines
    }

    /// Whether a trial replay proved the saved pages enough, and what it found.
    static func verification(_ m: Manifest) -> String {
        guard let t = m.trial else { return m.verified ? "yes" : "no (no trial replay ran)" }
        if m.verified {
            return "yes: the trial replay reproduced the end, touching \(t.pagesTouched) pages, in " + String(format: "%.3f s", t.seconds)
        }
        return "no: every resident page is kept because the trial replay did not reproduce the end ("
            + TextLayout.oneLine(t.divergence ?? "no reason given") + ")"
    }

    static func capture(_ m: Manifest) -> String? {
        let parts = [m.memory.captureSeconds.map { String(format: "%.3f s from the end to a complete bundle", $0) },
                     m.window.snapshotSeconds.map { String(format: "window-start snapshot %.4f s", $0) }].compactMap { $0 }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }

    static func objects(_ r: CrashReport) -> [String] {
        guard !r.objects.isEmpty else { return [] }
        var lines = TextLayout.heading("OBJECTS kept in the bundle (symbols, .eh_frame)")
        for o in r.objects {
            let place = o.loadedAt.map { String($0.lowerBound, radix: 16) + "-" + String($0.upperBound, radix: 16) } ?? "not mapped"
            let build = o.buildID.map { "build-id " + String($0.prefix(16)) } ?? "no build-id"
            lines.append("  " + TextLayout.padded(place, 25) + " " + TextLayout.rightAligned(TextLayout.size(o.bytes), 8)
                         + "  " + TextLayout.rightAligned("\(o.symbols) symbols", 13) + (o.hasEhFrame ? "" : ", no .eh_frame")
                         + "  " + build + "  " + TextLayout.oneLine(o.path))
        }
        return lines
    }

    static func warnings(_ r: CrashReport) -> [String] {
        let all = r.manifest.warnings + r.warnings
        guard !all.isEmpty else { return [] }
        return TextLayout.heading("WARNINGS") + all.map { "  " + TextLayout.oneLine($0) }
    }
}

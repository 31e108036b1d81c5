import ArgumentParser
import Foundation
import VPlayBundle

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Summarize a bundle: the process, its end, the window, the log and memory.",
        discussion: "Exit status: 0 success, 2 unreadable bundle or bad arguments.")

    @Argument(help: "The .vplay bundle.")
    var bundle: String

    @Flag(help: "Print the manifest as JSON.")
    var json = false

    func run() throws {
        // Read everything, so a damaged bundle is reported here and not first at replay.
        let manifest = try loadBundle(bundle).manifest
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
            let out = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: out, as: UTF8.self))
            return
        }
        print(Inspect.human(manifest))
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

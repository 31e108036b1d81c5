import Foundation
import Glibc
import VPlayOCI

/// poststop: wait (bounded) for the container's monitor to finish writing, report, clean up.
/// Podman runs it after the container is deleted, with no pid; only the id matters here.
enum PoststopHook {
    static let monitorTimeout = 60.0

    static func run(stateData: Data) throws {
        let log = makeLogger(label: "vplay-hook", path: RunDirectory.hookLog)
        guard let state = try? OCIState.parse(stateData) else {
            log.error("poststop: the state JSON on stdin is malformed; nothing to clean up")
            return
        }
        let pidFile = RunDirectory.pidFile(state.id)
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
           let monitor = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            let deadline = Date().addingTimeInterval(monitorTimeout)
            while isRunning(monitor) && Date() < deadline { usleep(20_000) }
            if isRunning(monitor) {
                log.warning("container \(state.id): monitor \(monitor) still running after \(Int(monitorTimeout)) s; leaving it")
            }
        }
        let list = RunDirectory.bundleList(state.id)
        let bundles = ((try? String(contentsOfFile: list, encoding: .utf8)) ?? "").split(separator: "\n")
        if bundles.isEmpty {
            log.info("container \(state.id) stopped; no bundle written")
        } else {
            log.notice("container \(state.id) stopped; bundles: \(bundles.joined(separator: ", "))")
        }
        try? FileManager.default.removeItem(atPath: list)
        try? FileManager.default.removeItem(atPath: pidFile)
    }

    /// Alive and not a zombie. The monitor is reparented to runc (a child subreaper), which
    /// does not reap while it waits for this hook: a finished monitor stays a zombie until then.
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}

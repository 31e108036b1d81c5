import Foundation
import Glibc
import VPlayKernel
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
            // A finished monitor is a zombie until runc, its subreaper, reaps it after this hook.
            while ProcFS.isRunning(monitor) && Date() < deadline { usleep(20_000) }
            if ProcFS.isRunning(monitor) {
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
}

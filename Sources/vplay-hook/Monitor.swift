import ArgumentParser
import CVPlay
import Foundation
import Glibc
import Logging
import VPlayKernel
import VPlayOCI
import VPlayRecord
import VPlaySyscalls

/// The per-container recorder: attaches to the container's init, records it and everything it
/// starts, writes bundles, and exits when the container's processes are gone. If it dies, the
/// container goes on untraced (it never uses PTRACE_O_EXITKILL).
struct Monitor: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record one container (started by the hook).",
                                                    shouldDisplay: false)

    @Option var pid: Int32
    @Option var id: String
    @Option var bundle: String
    @Option var output: String
    @Option var window: Double = 2
    @Option(name: .customLong("exit-code")) var exitCodes: [Int32] = []
    @Option(name: .customLong("trial-time-limit")) var trialTimeLimit: Double = 30
    @Flag(name: .customLong("no-trial-replay")) var noTrialReplay = false
    @Option var path: RecordingPath = .default
    @Option(name: .customLong("annotation")) var annotations: [String] = []
    @Option(name: .customLong("ready-fd")) var readyFD: Int32 = -1
    @Option(name: .customLong("on-bundle")) var onBundle: String?

    func run() throws {
        let log = makeLogger(label: "vplay-monitor", path: RunDirectory.monitorLog(id))
        try? "\(getpid())\n".write(toFile: RunDirectory.pidFile(id), atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: RunDirectory.pidFile(id)) }
        var options = RecordOptions(command: [])
        options.window = window
        options.outputDirectory = output
        options.exitCodes = Set(exitCodes)
        options.trialReplay = !noTrialReplay
        options.trialTimeLimit = trialTimeLimit
        options.bundlePrefix = id
        options.path = path
        // The manifest's container record: every annotation, plus id and bundle.
        var container = ["id": id, "bundle": bundle]
        for a in annotations {
            guard let eq = a.firstIndex(of: "=") else { continue }
            container[String(a[..<eq])] = String(a[a.index(after: eq)...])
        }
        options.container = container
        let recorder = Recorder(options: options, logger: log)
        recorder.onBundle = { written in
            log.notice("wrote bundle \(written.path) (pid \(written.pid), \(written.signal.map { signalName($0) } ?? "exit code \(written.exitCode ?? 0)"))")
            appendLine(written.path, to: RunDirectory.bundleList(id))
            if let onBundle { startOnBundle(onBundle, bundle: written.path, log: log) }
        }
        log.info("attaching to pid \(pid) of container \(id)")
        do {
            let status = try recorder.attach(pid: pid) { signalReady("attached") }
            log.info("container \(id) init ended with status \(status); \(recorder.written.count) bundle(s)")
        } catch {
            log.error("recording of container \(id) failed: \(error)")
            signalReady("error: \(error)")
        }
    }

    /// The node config's command for a complete bundle, in a process of its own that nobody
    /// waits for: it never delays the container's end (`run-on-bundle` logs how it ended).
    func startOnBundle(_ command: String, bundle: String, log: Logger) {
        let args = [OwnExecutable.path, "run-on-bundle", "--id", id, "--bundle", bundle, "--command", command]
        let started = withCStringArray(args) { vp_spawn_detached($0) }
        if started < 0 { log.error("cannot start the on-bundle command for \(bundle): \(String(cString: strerror(-started)))") }
    }

    func signalReady(_ line: String) {
        guard readyFD >= 0 else { return }
        _ = (line + "\n").utf8CString.withUnsafeBufferPointer { write(readyFD, $0.baseAddress, $0.count - 1) }
        close(readyFD)
    }
}

extension RecordingPath: ExpressibleByArgument {}

func appendLine(_ line: String, to path: String) {
    let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    defer { close(fd) }
    _ = (line + "\n").utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
}

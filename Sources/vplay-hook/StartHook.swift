import ArgumentParser
import CVPlay
import Foundation
import Glibc
import Logging
import VPlayKernel
import VPlayOCI

/// createRuntime / prestart: start the container's monitor and wait until it has attached.
/// Fail-open: any failure is logged and the container starts anyway, unless io.vplay.strict=1.
enum StartHook {
    static let attachTimeout = 10.0

    static func run(stateData: Data, stage: String) throws {
        let log = makeLogger(label: "vplay-hook", path: RunDirectory.hookLog)
        // The node's strict holds from the start: a failure before the annotations are read
        // (a malformed state, a missing config.json) fails the container too.
        let node = nodeConfig(log)
        var strict = node.strict
        do {
            let state = try OCIState.parse(stateData)
            strict = node.strict || HookSettings.strictRequested(annotations: state.annotations ?? [:])
            let config = try OCIConfig.load(bundle: state.bundle)
            strict = node.strict || HookSettings.strictRequested(annotations: HookSettings.mergedAnnotations(state: state, config: config))
            let settings = try HookSettings.from(state: state, config: config, node: node)
            strict = settings.strict
            guard settings.enabled else {
                log.info("container \(state.id): io.vplay.record not set, not recording")
                return
            }
            guard let pid = state.pid, pid > 0 else { throw HookFailure("the state of container \(state.id) has no pid") }
            let monitor = try startMonitor(state: state, settings: settings, pid: pid, log: log)
            log.info("container \(state.id) (\(stage)): monitor \(monitor) attached to pid \(pid); bundles go to \(settings.outputDirectory)")
        } catch {
            log.error("\(stage): recording not started: \(error)")
            if strict {
                FileHandle.standardError.write(Data("vplay-hook: recording not started: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    /// The node config (VPLAY_CONFIG or /etc/vplay/config.json); a malformed one is logged once
    /// and its defaults are used, so the container runs.
    static func nodeConfig(_ log: Logger) -> NodeConfig {
        let path = NodeConfig.path(environment: ProcessInfo.processInfo.environment)
        do {
            return try NodeConfig.load(path: path)
        } catch {
            log.error("ignoring the node config: \(error)")
            return NodeConfig()
        }
    }

    /// Launches `vplay-hook monitor` as a daemon and waits (bounded) for its "attached" line.
    static func startMonitor(state: OCIState, settings: HookSettings, pid: Int32, log: Logger) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: settings.outputDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var ready: [Int32] = [0, 0]
        guard pipe(&ready) == 0 else { throw HookFailure("pipe: \(String(cString: strerror(errno)))") }
        defer { close(ready[0]) }
        var args = [OwnExecutable.path, "monitor", "--pid", String(pid), "--id", state.id, "--bundle", state.bundle,
                    "--output", settings.outputDirectory, "--window", String(settings.window), "--ready-fd", String(ready[1])]
        for code in settings.exitCodes { args += ["--exit-code", String(code)] }
        args += ["--trial-time-limit", String(settings.trialTimeLimit)]
        if !settings.trialReplay { args.append("--no-trial-replay") }
        if let path = settings.recordingPath { args += ["--path", path] }
        if let command = settings.onBundle { args += ["--on-bundle", command] }
        for (key, value) in settings.annotations.sorted(by: { $0.key < $1.key }) where key != "id" && key != "bundle" {
            args += ["--annotation", "\(key)=\(value)"]
        }
        let monitor = withCStringArray(args) { vp_spawn_daemon($0, ready[1]) }
        close(ready[1])
        guard monitor > 0 else { throw HookFailure("cannot start the monitor: \(String(cString: strerror(-monitor)))") }
        let reply = readLine(fd: ready[0], timeout: attachTimeout)
        guard let reply, reply.hasPrefix("attached") else {
            if reply == nil { kill(monitor, SIGKILL) }
            throw HookFailure(reply.map { "monitor: \($0)" } ?? "the monitor did not attach within \(Int(attachTimeout)) s")
        }
        return monitor
    }

    /// One line from `fd`, or nil at EOF or after `timeout` seconds.
    static func readLine(fd: Int32, timeout: Double) -> String? {
        var out: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
            guard poll(&p, 1, ms) > 0 else { continue }
            var byte: UInt8 = 0
            let n = read(fd, &byte, 1)
            if n <= 0 { return out.isEmpty ? nil : String(decoding: out, as: UTF8.self) }
            if byte == 10 { return String(decoding: out, as: UTF8.self) }
            out.append(byte)
        }
        return nil
    }
}

struct HookFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

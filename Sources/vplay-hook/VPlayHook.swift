import ArgumentParser
import Foundation

/// The OCI hook. Stage commands read the OCI state JSON on stdin; `install` adds the hooks to a
/// plain runc/crun config.json; `monitor` is the per-container recorder the start stage launches.
@main
struct VPlayHook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vplay-hook",
        abstract: "OCI hook that records a container's processes and writes a bundle when one crashes.",
        discussion: """
            As an OCI hook: `vplay-hook createRuntime|prestart|poststop` with the state JSON on stdin \
            (without a stage, the state's status decides). Enabled by the annotation io.vplay.record=1. \
            Logs go to /run/vplay/. Exit status: 0, or 1 when recording cannot start in strict mode \
            (io.vplay.strict=1) or for bad arguments.
            """,
        subcommands: [Auto.self, StartStage.self, Prestart.self, Poststop.self, Install.self, Monitor.self, RunOnBundle.self],
        defaultSubcommand: Auto.self)
}

/// No stage given: decide from the state's status.
struct Auto: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "auto", abstract: "Infer the stage from the state's status.",
                                                    shouldDisplay: false)
    func run() throws {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let status = (try? JSONSerialization.jsonObject(with: input) as? [String: Any])?["status"] as? String
        if status == "stopped" {
            try PoststopHook.run(stateData: input)
        } else {
            try StartHook.run(stateData: input, stage: "createRuntime")
        }
    }
}

struct StartStage: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "createRuntime",
                                                    abstract: "Start the monitor for the container (createRuntime stage).")
    func run() throws { try StartHook.run(stateData: FileHandle.standardInput.readDataToEndOfFile(), stage: "createRuntime") }
}

struct Prestart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prestart",
                                                    abstract: "Start the monitor for the container (prestart stage).")
    func run() throws { try StartHook.run(stateData: FileHandle.standardInput.readDataToEndOfFile(), stage: "prestart") }
}

struct Poststop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "poststop",
                                                    abstract: "Wait for the container's monitor to finish, report, clean up.")
    func run() throws { try PoststopHook.run(stateData: FileHandle.standardInput.readDataToEndOfFile()) }
}

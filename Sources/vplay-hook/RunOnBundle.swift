import ArgumentParser
import Foundation
import Glibc
import VPlayOCI

/// Runs the node config's `onBundle` command for one complete bundle: `/bin/sh -c COMMAND
/// vplay-on-bundle PATH` (the path is `$1`), its output appended to the container's monitor log,
/// and how it ended logged to the hook log. Started by the monitor, waited for by nobody.
struct RunOnBundle: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run-on-bundle",
                                                    abstract: "Run the on-bundle command for a written bundle (started by the monitor).",
                                                    shouldDisplay: false)

    @Option var id: String
    @Option var bundle: String
    @Option var command: String

    func run() throws {
        let log = makeLogger(label: "vplay-on-bundle", path: RunDirectory.hookLog)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, "vplay-on-bundle", bundle]
        process.standardInput = FileHandle.nullDevice
        if let out = FileHandle(forWritingAtPath: RunDirectory.monitorLog(id)) {
            out.seekToEndOfFile()
            process.standardOutput = out
            process.standardError = out
        }
        do {
            try process.run()
        } catch {
            log.error("container \(id): on-bundle command for \(bundle) could not start: \(error)")
            return
        }
        process.waitUntilExit()
        let how = process.terminationReason == .uncaughtSignal ? "was killed by signal \(process.terminationStatus)"
            : "exited with status \(process.terminationStatus)"
        if process.terminationReason == .exit && process.terminationStatus == 0 {
            log.info("container \(id): on-bundle command for \(bundle) \(how)")
        } else {
            log.error("container \(id): on-bundle command for \(bundle) failed: it \(how)")
        }
    }
}

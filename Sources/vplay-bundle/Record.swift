import ArgumentParser
import Foundation
import Logging
import VPlayRecord

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command under recording; write a bundle for each process that ends abnormally.",
        discussion: "Exit status is the command's (128+N when killed by signal N); 2 when recording cannot start.")

    @Option(help: "Seconds of history to keep (between one and two windows are kept).")
    var window: Double = 2

    @Option(help: "Directory for bundles.")
    var output: String = "."

    @Option(name: .customLong("on-exit-code"), help: "Also write a bundle when a process exits with this code (repeatable).")
    var exitCodes: [Int32] = []

    @Option(help: "CPU to pin the recorder and the recorded tree to (-1: do not pin).")
    var cpu: Int32 = 0

    @Flag(name: .customLong("no-trap-rdtsc"), help: "Do not trap rdtsc (faster in VMs; replay then diverges where the program reads the time stamp counter).")
    var noTrapRdtsc = false

    @Flag(name: .customLong("no-trial-replay"), help: "Keep every resident page instead of running a trial replay at the crash to keep only the pages the window touched (the bundle is then unverified).")
    var noTrialReplay = false

    @Option(name: .customLong("trial-time-limit"), help: "Seconds the trial replay may take before the bundle falls back to every resident page.")
    var trialTimeLimit: Double = 30

    @Option(help: "How syscalls are logged: bpf (the kernel's BPF logger, ptrace only for rare events; falls back to ptrace with a warning when BPF cannot be used) or ptrace (two stops per call). Default: bpf, or $VPLAY_RECORDING_PATH.")
    var path: RecordingPath = .default

    @Flag(name: .customLong("no-bpf"), help: "Record with the ptrace path (same as --path ptrace).")
    var noBPF = false

    @Argument(parsing: .captureForPassthrough, help: "The command to run, after --.")
    var command: [String] = []

    func validate() throws {
        if command.first == "--" { return }
        if command.isEmpty { throw ValidationError("missing command: vplay-bundle record [options] -- COMMAND [ARG...]") }
        guard window > 0 else { throw ValidationError("--window must be positive") }
        guard trialTimeLimit > 0 else { throw ValidationError("--trial-time-limit must be positive") }
    }

    func run() throws {
        var argv = command
        if argv.first == "--" { argv.removeFirst() }
        guard !argv.isEmpty else { throw fail("missing command after --") }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: output, isDirectory: &isDir), isDir.boolValue else {
            throw fail("output directory \(output) does not exist")
        }
        var options = RecordOptions(command: argv)
        options.window = window
        options.outputDirectory = output
        options.exitCodes = Set(exitCodes)
        options.cpu = cpu >= 0 ? cpu : nil
        options.trapTimestampCounter = !noTrapRdtsc
        options.trialReplay = !noTrialReplay
        options.trialTimeLimit = trialTimeLimit
        options.path = noBPF ? .ptrace : path
        let recorder = Recorder(options: options, logger: Logger(label: "vplay.record"))
        recorder.onBundle = { bundle in
            FileHandle.standardError.write(Data("vplay: wrote bundle \(bundle.path)\n".utf8))
        }
        let status: Int32
        do {
            status = try recorder.run()
        } catch {
            throw fail("\(error)")
        }
        throw ExitCode(status)
    }
}

extension RecordingPath: ExpressibleByArgument {}

// vplay-runtime: an OCI runtime in front of the real one (runc by default), for the engines
// that do not read OCI hooks (Docker's `runtimes`, containerd's runc `BinaryName`, a
// Kubernetes RuntimeClass). On `create` and `run` of a container that asks to be recorded
// (annotation io.vplay.record=1, or `recordAll` in the node config) it adds vplay's hooks to
// the bundle's config.json; then it execs the real runtime with the command line unchanged, so
// stdio, signals and the exit status are the runtime's own. When the hooks cannot be added, the
// container runs unrecorded (one line on stderr), unless strict mode is on.

import Foundation
import Glibc
import VPlayOCI

let usage = """
    usage: vplay-runtime [runc's global options] COMMAND [ARGUMENTS]

    Runs the real OCI runtime with this command line unchanged. On `create` and `run`, a
    container annotated io.vplay.record=1 (or every container, with "recordAll": true) gets
    vplay's hooks in its config.json first (also one whose annotations match "recordWhen").

    Node config: \(NodeConfig.defaultPath) (or $\(NodeConfig.environmentVariable)): "runtime" (the
    real runtime; default runc on PATH), "hook" (default: vplay-hook next to this program),
    "recordAll", "strict" (a container whose recording cannot be set up does not start).

    Exit status: the runtime's; 1 when strict mode refuses a container; 127 when no runtime runs.
    """

/// One line on stderr, where the engine keeps the runtime's messages.
func note(_ message: String) {
    FileHandle.standardError.write(Data("vplay-runtime: \(message)\n".utf8))
}

func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

/// The real runtime: the configured one, else runc on PATH (never this program itself).
func realRuntime(_ config: NodeConfig, environment: [String: String]) -> String? {
    if let configured = config.runtime {
        if isExecutable(configured) { return configured }
        note("the configured runtime \(configured) is not an executable; trying runc on PATH")
    }
    let me = OwnExecutable.path
    for dir in (environment["PATH"] ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":") {
        let candidate = "\(dir)/runc"
        if isExecutable(candidate), (try? FileManager.default.destinationOfSymbolicLink(atPath: candidate)) != me, candidate != me {
            return candidate
        }
    }
    return nil
}

/// vplay-hook: the configured one, else the one next to this program.
func hookPath(_ config: NodeConfig) -> String {
    if let hook = config.hook { return hook }
    let me = OwnExecutable.path
    return URL(fileURLWithPath: me).deletingLastPathComponent().appendingPathComponent("vplay-hook").path
}

/// Adds the hooks to the bundle of a container that asks to be recorded. Returns false when
/// strict mode refuses the container.
func prepare(_ line: RuntimeCommandLine, _ config: NodeConfig, environment: [String: String]) -> Bool {
    let bundle = line.bundle(workingDirectory: FileManager.default.currentDirectoryPath)
    var strict = config.strict
    do {
        let oci = try OCIConfig.load(bundle: bundle)
        strict = strict || HookSettings.strictRequested(annotations: oci.annotations)
        guard config.records(annotations: oci.annotations) else { return true }
        let hook = hookPath(config)
        guard isExecutable(hook) else { throw OCIError.invalidHookPath("\(hook) (not an executable)") }
        // Runtimes run hooks with the entry's environment only: a node config named by
        // VPLAY_CONFIG must be named to the hook too.
        let passed = environment[NodeConfig.environmentVariable].map { ["\(NodeConfig.environmentVariable)=\($0)"] } ?? []
        try HookInstaller.install(bundle: bundle, hookPath: hook, environment: passed)
        return true
    } catch {
        if strict {
            note("not starting the container, strict mode: recording cannot be set up for \(bundle): \(error)")
            return false
        }
        note("the container runs unrecorded: cannot add vplay's hooks to \(bundle)/config.json: \(error)")
        return true
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments == ["--help"] || arguments == ["-h"] {
    print(usage)
    exit(0)
}
let environment = ProcessInfo.processInfo.environment
let configPath = NodeConfig.path(environment: environment)
var config = NodeConfig()
do {
    config = try NodeConfig.load(path: configPath)
} catch {
    note("ignoring the node config: \(error)")
}
let line = RuntimeCommandLine(arguments)
if line.createsContainer, !prepare(line, config, environment: environment) { exit(1) }
guard let runtime = realRuntime(config, environment: environment) else {
    note("no OCI runtime to run: set \"runtime\" in \(configPath) or put runc on PATH")
    exit(127)
}
let argv = ([runtime] + arguments).map { strdup($0) } + [nil]
execv(runtime, argv)
note("cannot run \(runtime): \(String(cString: strerror(errno)))")
exit(127)

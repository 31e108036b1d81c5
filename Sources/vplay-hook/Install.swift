import ArgumentParser
import Foundation
import VPlayOCI

/// Adds the vplay hooks to a runc/crun bundle's config.json (podman and CRI-O use oci-hooks/).
struct Install: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add the vplay hooks (and io.vplay.record=1) to an OCI bundle's config.json.")

    @Option(help: "The OCI bundle directory holding config.json.")
    var bundle: String

    @Option(help: "Path of the vplay-hook executable the runtime will run (default: this one).")
    var hook: String?

    @Option(help: "Stage that starts the monitor: createRuntime or prestart.")
    var stage: String = "createRuntime"

    func validate() throws {
        guard ["createRuntime", "prestart"].contains(stage) else {
            throw ValidationError("--stage must be createRuntime or prestart")
        }
    }

    func run() throws {
        let path = hook ?? OwnExecutable.path
        do {
            _ = try HookInstaller.install(bundle: bundle, hookPath: path, stage: stage)
        } catch {
            FileHandle.standardError.write(Data("vplay-hook: \(error)\n".utf8))
            throw ExitCode(2)
        }
        print("installed vplay hooks (\(stage), poststop) in \(bundle)/config.json")
    }
}

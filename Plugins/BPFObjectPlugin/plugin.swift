// Builds the BPF programs of CVPlayBPF/bpf during `swift build` (scripts/build-bpf.sh does the
// work: vmlinux.h from this kernel's BTF, clang -target bpf, base64 into a Swift file) and hands
// the generated BPFObject.swift to the target that embeds the object.
import Foundation
import PackagePlugin

@main
struct BPFObjectPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let script = root.appending(path: "scripts/build-bpf.sh")
        let source = root.appending(path: "Sources/CVPlayBPF/bpf/syscalls.bpf.c")
        let include = root.appending(path: "Sources/CVPlayBPF/include")
        let output = context.pluginWorkDirectoryURL.appending(path: "bpf")
        var environment = ProcessInfo.processInfo.environment
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" }
        return [
            .buildCommand(
                displayName: "Compiling the BPF syscall logger",
                executable: URL(filePath: "/bin/bash"),
                arguments: [script.path(), source.path(), include.path(), output.path()],
                environment: environment,
                inputFiles: [script, source, include.appending(path: "vplay_bpf_abi.h")],
                outputFiles: [output.appending(path: "BPFObject.swift")])
        ]
    }
}

// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "vplay",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "vplay-bundle", targets: ["vplay-bundle"]),
        .executable(name: "vplay-hook", targets: ["vplay-hook"]),
        .executable(name: "vplay-runtime", targets: ["vplay-runtime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // Thin C shim: what Swift cannot call directly (variadic ptrace, syscall, prctl),
        // kernel structs and constants, zstd. No logic.
        .target(name: "CVPlay", linkerSettings: [.linkedLibrary("zstd")]),
        // Typed Swift over ptrace, /proc and remote syscalls (no bundle format: VPlayABI only).
        .target(name: "VPlayKernel", dependencies: ["CVPlay", "VPlayABI", .product(name: "Logging", package: "swift-log")]),
        // The kernel ABI every layer shares: registers, memory mappings, wait status, errno, and
        // syscall numbers (generated from the table). Nothing above it redefines these.
        .target(name: "VPlayABI", dependencies: []),
        // The one syscall table: names, argument kinds, memory written, replay policy.
        .target(name: "VPlaySyscalls", dependencies: ["VPlayABI"]),
        // The one JSON writer of every --json output and generated JSON file: a value built in
        // code, printed with sorted keys, 64-bit integers whole.
        .target(name: "VPlayJSON", dependencies: []),
        // The on-disk bundle format.
        .target(name: "VPlayBundle", dependencies: ["CVPlay", "VPlayABI", "VPlayJSON"]),
        // Recorder engine.
        .target(name: "VPlayRecord", dependencies: ["VPlayABI", "VPlayKernel", "VPlayBPF", "VPlayReplay", "VPlaySymbols", "VPlaySyscalls", "VPlayBundle", "CVPlay", .product(name: "Logging", package: "swift-log")]),
        // Zydis (libzydis-dev), the x86-64 decoder.
        .systemLibrary(name: "CZydis", providers: [.apt(["libzydis-dev"])]),
        // Code patched into a replayed process: decoded instructions, the sites a 5-byte jump
        // may cover, and the filter stubs that stop a thread at recorded registers at native speed.
        .target(name: "VPlayPatch", dependencies: ["CZydis", "VPlayABI"]),
        // Replay engine.
        .target(name: "VPlayReplay", dependencies: ["VPlayKernel", "VPlaySyscalls", "VPlayBundle", "VPlayPatch", "VPlaySymbols", "CVPlay", .product(name: "Logging", package: "swift-log")]),
        // ELF objects: symbol tables, build ids, call-frame information; symbolization and
        // stack unwinding over a memory reader.
        .target(name: "VPlaySymbols", dependencies: []),
        // The gdb remote serial protocol: packets, and a server over any debug target.
        .target(name: "VPlayGDB", dependencies: ["VPlayKernel", .product(name: "Logging", package: "swift-log")]),
        // The crash report: backtraces, registers, decoded syscalls, memory, as text or JSON.
        .target(name: "VPlayReport", dependencies: ["VPlayBundle", "VPlayJSON", "VPlaySymbols", "VPlaySyscalls"]),
        // gdb over a replay: a GDBTarget driving the replayer, with reverse execution.
        .target(name: "VPlayDebug", dependencies: ["VPlayReplay", "VPlayGDB", "VPlayBundle", "VPlayKernel", "VPlaySymbols",
                                                 .product(name: "Logging", package: "swift-log")]),
        // The BPF syscall logger's C side: the programs (bpf/, compiled by BPFObjectPlugin, not
        // by SwiftPM) and the libbpf loader.
        .target(name: "CVPlayBPF", exclude: ["bpf"], linkerSettings: [.linkedLibrary("bpf"), .linkedLibrary("seccomp")]),
        // Builds bpf/syscalls.bpf.c with the toolchain's clang into an object VPlayBPF embeds.
        .plugin(name: "BPFObjectPlugin", capability: .buildTool()),
        // The BPF syscall logger: load/attach, recorded tgids, rules from the syscall table,
        // the ring-buffer drain thread and its decoded events.
        .target(name: "VPlayBPF", dependencies: ["CVPlayBPF", "VPlayABI", "VPlaySyscalls"], plugins: ["BPFObjectPlugin"]),
        // What the test targets share (gated children, the ptrace probe); used by tests only.
        .target(name: "VPlayTestSupport", dependencies: ["CVPlay", "VPlayKernel"]),
        // OCI runtime-spec state/config, vplay annotations, hooks.d JSON, config.json hook install.
        .target(name: "VPlayOCI", dependencies: ["VPlayJSON"]),
        // The OCI hook and the per-container monitor it starts.
        .executableTarget(name: "vplay-hook", dependencies: [
            "VPlayOCI", "VPlayRecord", "VPlayKernel", "VPlaySyscalls",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The OCI runtime shim in front of runc for Docker, containerd and Kubernetes.
        .executableTarget(name: "vplay-runtime", dependencies: ["VPlayOCI"]),
        .executableTarget(name: "vplay-bundle", dependencies: [
            "VPlayRecord", "VPlayReplay", "VPlayBundle", "VPlayJSON", "VPlaySyscalls", "VPlayReport", "VPlayDebug", "VPlayGDB",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "VPlayOCITests", dependencies: ["VPlayOCI", "VPlayJSON"]),
        .testTarget(name: "VPlayContainerTests", dependencies: ["VPlayBundle", "VPlayTestSupport"]),
        .testTarget(name: "VPlayKernelTests", dependencies: ["VPlayKernel", "VPlayBundle", "CVPlay", "VPlayTestSupport"]),
        .testTarget(name: "VPlaySyscallsTests", dependencies: ["VPlaySyscalls"]),
        .testTarget(name: "VPlayBundleTests", dependencies: ["VPlayBundle", "VPlayJSON"]),
        .testTarget(name: "VPlayEndToEndTests", dependencies: ["VPlayBundle", "VPlayJSON", "VPlayTestSupport"]),
        .testTarget(name: "VPlaySymbolsTests", dependencies: ["VPlaySymbols", "VPlayKernel", "CVPlay", "VPlayTestSupport"]),
        .testTarget(name: "VPlayGDBTests", dependencies: ["VPlayGDB", "VPlayKernel", "CVPlay", "VPlayTestSupport"]),
        .testTarget(name: "VPlayBPFTests", dependencies: ["VPlayBPF", "VPlaySyscalls", "VPlayTestSupport"], exclude: ["Programs"]),
        .testTarget(name: "VPlayPatchTests", dependencies: ["VPlayPatch", "VPlayABI", "VPlayTestSupport"]),
        .testTarget(name: "VPlayReportTests", dependencies: ["VPlayReport", "VPlayBundle", "VPlayJSON", "VPlaySymbols"]),
    ]
)

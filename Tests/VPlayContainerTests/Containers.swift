// Building OCI bundles (a busybox-static rootfs plus statically linked test programs and a
// `runc spec` config.json), driving runc, crun and podman, and checking the bundles vplay
// writes for a container.

import Foundation
import VPlayTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Test programs (compiled with gcc -static, copied into the rootfs)

enum TestPrograms {
    /// crasher FILE [DELAY_SECONDS]: optionally waits DELAY seconds doing syscalls, reads FILE
    /// and writes through a pointer derived from its bytes (below mmap_min_addr: SIGSEGV at an
    /// address that depends only on FILE, like examples/file_input.c).
    static let crasher = #"""
        #include <fcntl.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>

        int main(int argc, char **argv) {
            if (argc < 2) { fprintf(stderr, "usage: crasher FILE [DELAY]\n"); return 2; }
            double delay = argc > 2 ? atof(argv[2]) : 0;
            struct timespec start, now;
            clock_gettime(CLOCK_MONOTONIC, &start);
            unsigned long ticks = 0;
            while (delay > 0) {
                struct timespec pause = {0, 50 * 1000 * 1000};
                nanosleep(&pause, 0);
                getppid();
                ticks++;
                clock_gettime(CLOCK_MONOTONIC, &now);
                if ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 >= delay) break;
            }
            int fd = open(argv[1], O_RDONLY);
            if (fd < 0) { perror(argv[1]); return 2; }
            unsigned char buf[4096];
            uint32_t hash = 2166136261u;
            long total = 0;
            ssize_t n;
            while ((n = read(fd, buf, sizeof buf)) > 0) {
                for (ssize_t i = 0; i < n; i++) hash = (hash ^ buf[i]) * 16777619u;
                total += n;
            }
            close(fd);
            volatile int *bad = (volatile int *)(uintptr_t)(0x1000 + (hash % 4096) * 8);
            printf("crasher: pid %d read %ld bytes after %lu ticks, writing to %p\n", (int)getpid(), total, ticks, (void *)bad);
            fflush(stdout);
            *bad = 1;  /* SIGSEGV here */
            return 0;
        }
        """#

    /// okay FILE: reads FILE, writes a line and exits 0.
    static let okay = #"""
        #include <fcntl.h>
        #include <stdio.h>
        #include <unistd.h>

        int main(int argc, char **argv) {
            long total = 0;
            if (argc > 1) {
                int fd = open(argv[1], O_RDONLY);
                if (fd < 0) { perror(argv[1]); return 2; }
                char buf[512];
                ssize_t n;
                while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
                close(fd);
            }
            printf("okay: pid %d read %ld bytes, exiting 0\n", (int)getpid(), total);
            return 0;
        }
        """#

    /// sleeper [SECONDS]: syscalls (nanosleep, getppid, clock_gettime, write) for SECONDS
    /// (default 5), then exits 0.
    static let sleeper = #"""
        #include <stdio.h>
        #include <stdlib.h>
        #include <time.h>
        #include <unistd.h>

        int main(int argc, char **argv) {
            double seconds = argc > 1 ? atof(argv[1]) : 5.0;
            struct timespec start, now;
            clock_gettime(CLOCK_MONOTONIC, &start);
            printf("sleeper: started, pid %d\n", (int)getpid());
            fflush(stdout);
            unsigned long iterations = 0;
            int reported = 0;
            for (;;) {
                struct timespec pause = {0, 20 * 1000 * 1000};
                nanosleep(&pause, 0);
                getppid();
                iterations++;
                clock_gettime(CLOCK_MONOTONIC, &now);
                double elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
                if ((int)elapsed > reported) {
                    reported = (int)elapsed;
                    printf("sleeper: %d s\n", reported);
                    fflush(stdout);
                }
                if (elapsed >= seconds) break;
            }
            printf("sleeper: done after %lu iterations\n", iterations);
            return 0;
        }
        """#

    static let all: [(name: String, source: String)] = [("crasher", crasher), ("okay", okay), ("sleeper", sleeper)]
}

/// Inputs placed in every rootfs: the crash address depends on them.
enum TestInputs {
    static let files: [String: String] = [
        "input-a.txt": "alpha: the first container's input\n",
        "input-b.txt": "beta: the second container's input, a little longer\n",
    ]

    /// The address crasher writes to for a file's contents (FNV-1a, as in the C program).
    static func faultAddress(for contents: String) -> UInt64 {
        var hash: UInt32 = 2166136261
        for byte in contents.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        return 0x1000 + UInt64(hash % 4096) * 8
    }
}

/// Finds the `0x…` address the crasher printed in "writing to 0x…".
func announcedFaultAddress(in output: String) -> UInt64? {
    guard let r = output.range(of: #"writing to 0x[0-9a-fA-F]+"#, options: .regularExpression) else { return nil }
    return UInt64(output[r].dropFirst("writing to 0x".count), radix: 16)
}

// MARK: - Workspace and OCI bundles

/// A temp directory for one test: compiled programs, OCI bundles, hooks dirs, replay cwd.
struct ContainerWorkspace {
    let root: String
    var programsDirectory: String { root + "/programs" }
    /// An empty directory to run replays in.
    var replayDirectory: String { root + "/replay-cwd" }

    init(_ name: String) throws {
        try Prerequisites.require()
        root = try makeTempDirectory(prefix: "vplay-ct-\(name)")
        for dir in [programsDirectory, replayDirectory] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
        for (name, source) in TestPrograms.all {
            let src = programsDirectory + "/\(name).c"
            try source.write(toFile: src, atomically: true, encoding: .utf8)
            let cc = try runProcess("gcc", ["-static", "-O1", "-g", "-Wall", "-o", programsDirectory + "/" + name, src],
                                    timeout: 120)
            guard cc.exitCode == 0 else { throw ContainerTestError("compiling \(name).c failed:\n\(cc)") }
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Builds the rootfs at `path`: /bin/busybox with its applets as symlinks, the usual empty
    /// directories, the test programs at /crasher, /okay, /sleeper and the input files.
    func buildRootfs(at path: String) throws {
        let fm = FileManager.default
        for dir in ["bin", "proc", "sys", "dev", "tmp", "etc", "run", "var", "root"] {
            try fm.createDirectory(atPath: path + "/" + dir, withIntermediateDirectories: true)
        }
        try copyExecutable("/bin/busybox", to: path + "/bin/busybox")
        let list = try runProcess("/bin/busybox", ["--list"], timeout: 30)
        guard list.exitCode == 0 else { throw ContainerTestError("busybox --list failed:\n\(list)") }
        for applet in list.stdout.split(separator: "\n").map(String.init)
        where !applet.isEmpty && applet != "busybox" && !applet.contains("/") {
            try? fm.createSymbolicLink(atPath: path + "/bin/" + applet, withDestinationPath: "busybox")
        }
        for (name, _) in TestPrograms.all {
            try copyExecutable(programsDirectory + "/" + name, to: path + "/" + name)
        }
        for (name, contents) in TestInputs.files {
            try contents.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
        }
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: path + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: path + "/etc/group", atomically: true, encoding: .utf8)
    }

    /// Copies an executable through a descriptor opened O_CLOEXEC: a process another test forks
    /// meanwhile must not inherit it open for writing (exec of the copy then fails with ETXTBSY).
    func copyExecutable(_ source: String, to destination: String) throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let fd = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw ContainerTestError("cannot create \(destination): errno \(errno)") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw ContainerTestError("short write of \(destination): \(written) of \(bytes.count)") }
    }

    /// An OCI bundle directory `root/NAME` with rootfs/ and a config.json made by `runc spec`
    /// and edited: process.args, terminal false, root.path "rootfs", readonly false.
    func makeBundle(_ name: String = "bundle", args: [String]) throws -> OCIBundle {
        let dir = root + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let bundle = OCIBundle(dir: dir)
        try buildRootfs(at: bundle.rootfs)
        let spec = try runProcess("runc", ["spec", "--bundle", dir], timeout: 30)
        guard spec.exitCode == 0 else { throw ContainerTestError("runc spec failed:\n\(spec)") }
        var config = try readJSONObject(bundle.configPath)
        var process = config["process"] as? [String: Any] ?? [:]
        process["args"] = args
        process["terminal"] = false
        config["process"] = process
        config["root"] = ["path": "rootfs", "readonly": false]
        try writeJSONObject(config, to: bundle.configPath)
        return bundle
    }

    /// A hooks.d directory with the JSON files of oci-hooks/, their hook path rewritten to the
    /// built vplay-hook.
    func makeHooksDirectory() throws -> String {
        let dir = root + "/hooks.d"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let files = try FileManager.default.contentsOfDirectory(atPath: Locations.ociHooks).filter { $0.hasSuffix(".json") }
        guard files.sorted() == ["vplay-createruntime.json", "vplay-poststop.json"] else {
            throw ContainerTestError("oci-hooks/ should hold vplay-createruntime.json and vplay-poststop.json, has \(files)")
        }
        let hook = try Locations.vplayHook()
        for file in files {
            var json = try readJSONObject(Locations.ociHooks + "/" + file)
            guard var entry = json["hook"] as? [String: Any] else {
                throw ContainerTestError("oci-hooks/\(file) has no \"hook\" object")
            }
            entry["path"] = hook
            json["hook"] = entry
            try writeJSONObject(json, to: dir + "/" + file)
        }
        return dir
    }
}

struct OCIBundle {
    let dir: String
    var rootfs: String { dir + "/rootfs" }
    var configPath: String { dir + "/config.json" }
    /// Where vplay writes bundles by default.
    var outputDirectory: String { dir + "/vplay" }

    func setArgs(_ args: [String]) throws {
        var config = try readJSONObject(configPath)
        var process = config["process"] as? [String: Any] ?? [:]
        process["args"] = args
        config["process"] = process
        try writeJSONObject(config, to: configPath)
    }

    /// `vplay-hook install --bundle DIR --hook <built vplay-hook> [--stage STAGE]`, which must
    /// succeed and leave exactly one start entry and one poststop entry in config.json.
    func installHooks(stage: String? = nil) throws {
        let hook = try Locations.vplayHook()
        var args = ["install", "--bundle", dir, "--hook", hook]
        if let stage { args += ["--stage", stage] }
        let r = try runProcess(hook, args, timeout: 30)
        guard r.exitCode == 0 else { throw ContainerTestError("vplay-hook install failed:\n\(r)") }
        let config = try readJSONObject(configPath)
        let hooks = config["hooks"] as? [String: Any] ?? [:]
        let startStage = stage ?? "createRuntime"
        for (name, arg) in [(startStage, startStage), ("poststop", "poststop")] {
            let entries = (hooks[name] as? [[String: Any]] ?? []).filter { ($0["path"] as? String) == hook }
            guard entries.count == 1, entries[0]["args"] as? [String] == ["vplay-hook", arg] else {
                throw ContainerTestError("after vplay-hook install, hooks.\(name) should hold one entry "
                    + "{path: \(hook), args: [vplay-hook, \(arg)]}; config.json has hooks = \(hooks)")
            }
        }
        let annotations = config["annotations"] as? [String: String] ?? [:]
        guard HookAnnotations.enabled(annotations["io.vplay.record"]) else {
            throw ContainerTestError("after vplay-hook install, annotation io.vplay.record should enable recording: \(annotations)")
        }
        try setAnnotations(HookAnnotations.recordingPath)
    }

    func setAnnotations(_ extra: [String: String]) throws {
        var config = try readJSONObject(configPath)
        var annotations = config["annotations"] as? [String: Any] ?? [:]
        for (k, v) in extra { annotations[k] = v }
        config["annotations"] = annotations
        try writeJSONObject(config, to: configPath)
    }
}

enum HookAnnotations {
    /// `io.vplay.path` from `VPLAY_RECORDING_PATH`: CI runs the container tests on both paths
    /// (hooks do not inherit the test's environment).
    static var recordingPath: [String: String] {
        ProcessInfo.processInfo.environment["VPLAY_RECORDING_PATH"].map { ["io.vplay.path": $0] } ?? [:]
    }

    static func enabled(_ value: String?) -> Bool {
        guard let v = value?.lowercased() else { return false }
        return !["0", "false", ""].contains(v)
    }
}

// MARK: - Container ids, monitors, logs

/// A container id unique to this test run.
func uniqueContainerID(_ tag: String) -> String {
    "vplay-ct-\(tag)-\(getpid())-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
}

enum Monitor {
    /// The monitor pid from /run/vplay/<id>.pid, if the file exists and holds a number.
    static func pid(_ id: String) -> pid_t? {
        guard let text = try? String(contentsOfFile: Locations.monitorPIDFile(id), encoding: .utf8),
              let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        // The monitor is a daemon (its own session, reparented to init, the hook's environment):
        // only its pid ties it to the test, so the leak check watches it by pid.
        LeakLedger.current?.watch(pid: pid)
        return pid
    }

    /// Whether `pid` is a live (not zombie) process whose command line mentions vplay.
    static func isLiveVPlayProcess(_ pid: pid_t) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            let state = stat[stat.index(close, offsetBy: 2)...].prefix(1)
            if state == "Z" || state == "X" { return false }
        }
        guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")) else { return false }
        return String(decoding: cmdline, as: UTF8.self).contains("vplay")
    }

    /// The live monitor of container `id`, if any.
    static func live(_ id: String) -> pid_t? {
        guard let pid = pid(id), isLiveVPlayProcess(pid) else { return nil }
        return pid
    }

    /// Test hygiene: a monitor still running for `id` (after a failure) is killed. It was started
    /// on behalf of this test's container, identified by its pid file and command line.
    static func killLeftover(_ id: String) {
        if let pid = live(id) { kill(pid, SIGKILL) }
    }
}

/// Collects what a log file gains from now on.
struct LogTail {
    let path: String
    let offset: UInt64

    init(_ path: String) {
        self.path = path
        var st = stat()
        offset = stat(path, &st) == 0 ? UInt64(st.st_size) : 0
    }

    /// The text appended since `init`.
    func appended() -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        var st = stat()
        if stat(path, &st) == 0 && UInt64(st.st_size) < offset { try? handle.seek(toOffset: 0) } else { try? handle.seek(toOffset: offset) }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }
}

func readFile(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

/// The vplay logs of a container, for failure messages.
func vplayLogs(_ id: String, hookLog: LogTail? = nil) -> String {
    var text = "--- \(Locations.containerLog(id)) ---\n" + String(readFile(Locations.containerLog(id)).suffix(6000))
    if let hookLog { text += "\n--- \(hookLog.path) (this test) ---\n" + String(hookLog.appended().suffix(4000)) }
    return text
}

// MARK: - Runtimes

enum Runc {
    static func run(_ bundle: OCIBundle, id: String, timeout: Double = 60) throws -> ProcessResult {
        try runProcess("runc", ["run", "--bundle", bundle.dir, id], cwd: bundle.dir, timeout: timeout)
    }

    static func start(_ bundle: OCIBundle, id: String) throws -> BackgroundProcess {
        try BackgroundProcess("runc", ["run", "--bundle", bundle.dir, id], cwd: bundle.dir)
    }

    /// Deletes the container; a monitor left running for it (after a failure) is killed first,
    /// since a tracer that never reaps the container's init keeps runc from deleting it.
    static func delete(_ id: String) {
        Monitor.killLeftover(id)
        _ = try? runProcess("runc", ["delete", "--force", id], timeout: 30)
    }
}

/// crun inside `unshare -m` with a cgroup2 mount on /sys/fs/cgroup (the host's hybrid cgroup
/// layout makes crun refuse to run otherwise), optionally with `--cgroup-manager=disabled`.
enum Crun {
    static func command(_ crunArgs: [String], cgroupManagerDisabled: Bool) -> (String, [String]) {
        let flags = cgroupManagerDisabled ? ["--cgroup-manager=disabled"] : []
        return ("unshare", ["-m", "sh", "-c", #"mount -t cgroup2 none /sys/fs/cgroup && exec crun "$@""#, "sh"]
                + flags + crunArgs)
    }

    static func run(_ bundle: OCIBundle, id: String, cgroupManagerDisabled: Bool, timeout: Double = 60) throws -> ProcessResult {
        let (exe, args) = command(["run", "--bundle", bundle.dir, id], cgroupManagerDisabled: cgroupManagerDisabled)
        return try runProcess(exe, args, cwd: bundle.dir, timeout: timeout)
    }

    /// crun outside any extra namespace (what fails on hybrid-cgroup hosts).
    static func runOnHost(_ bundle: OCIBundle, id: String, timeout: Double = 60) throws -> ProcessResult {
        try runProcess("crun", ["run", "--bundle", bundle.dir, id], cwd: bundle.dir, timeout: timeout)
    }

    static func delete(_ id: String, cgroupManagerDisabled: Bool) {
        Monitor.killLeftover(id)
        let (exe, args) = command(["delete", "--force", id], cgroupManagerDisabled: cgroupManagerDisabled)
        _ = try? runProcess(exe, args, timeout: 30)
        _ = try? runProcess("crun", ["delete", "--force", id], timeout: 30)
    }
}

enum Podman {
    /// The options these machines need (no CAP_SYS_RESOURCE: podman cannot raise rlimits).
    static let baseOptions = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096", "--network", "none"]

    static func run(rootfs: String, command: [String], cidFile: String, extra: [String] = [],
                    timeout: Double = 180) throws -> ProcessResult {
        let path = HookAnnotations.recordingPath.flatMap { ["--annotation", "\($0.key)=\($0.value)"] }
        return try runProcess("podman", ["--runtime", "runc", "run", "--rm", "--cidfile", cidFile] + baseOptions + extra + path
                              + ["--rootfs", rootfs] + command, timeout: timeout)
    }

    static func containerID(cidFile: String) -> String? {
        let id = readFile(cidFile).trimmingCharacters(in: .whitespacesAndNewlines)
        return id.isEmpty ? nil : id
    }

    static func remove(cidFile: String) {
        if let id = containerID(cidFile: cidFile) {
            Monitor.killLeftover(id)
            _ = try? runProcess("podman", ["rm", "--force", "--ignore", id], timeout: 60)
        }
    }
}

// MARK: - Checking vplay's output

enum VPlayBundleTool {
    static func run(_ arguments: [String], cwd: String? = nil, timeout: Double = 90) throws -> ProcessResult {
        try runProcess(try Locations.vplayBundle(), arguments, cwd: cwd, timeout: timeout)
    }

    static func inspect(_ bundle: String) throws -> JSON {
        let r = try run(["inspect", bundle, "--json"])
        guard r.exitCode == 0 else { throw ContainerTestError("vplay-bundle inspect failed:\n\(r)") }
        return try JSON.parse(r.stdout)
    }

    static func replay(_ bundle: String, cwd: String) throws -> (ProcessResult, JSON) {
        let r = try run(["replay", bundle, "--json"], cwd: cwd)
        guard !r.timedOut else { throw ContainerTestError("replay timed out (killed):\n\(r)") }
        guard r.signal == nil else { throw ContainerTestError("vplay-bundle replay crashed:\n\(r)") }
        return (r, try JSON.parse(r.stdout))
    }
}

/// The `*.vplay` files in `directory` whose names start with `<id>-`.
func vplayBundles(in directory: String, id: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasPrefix(id + "-") && $0.hasSuffix(".vplay") }.sorted().map { directory + "/" + $0 }
}

/// Every `*.vplay` file below `directory` (to prove none was written inside a rootfs).
func vplayFilesBelow(_ directory: String) -> [String] {
    guard let e = FileManager.default.enumerator(atPath: directory) else { return [] }
    var found: [String] = []
    while let item = e.nextObject() as? String {
        if item.hasSuffix(".vplay") || item.contains(".vplay.") { found.append(directory + "/" + item) }
    }
    return found
}

/// Waits (bounded) until no monitor runs for `id`; records an issue if one still does.
func expectMonitorGone(_ id: String, within seconds: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) {
    let gone = waitUntil(timeout: seconds) { Monitor.live(id) == nil }
    #expect(gone, "the monitor of \(id) (pid \(Monitor.pid(id).map(String.init) ?? "?")) is still running \(seconds) s after the container ended\n\(vplayLogs(id))",
            sourceLocation: sourceLocation)
}

/// The checks every recorded container crash shares: exactly one bundle named
/// `<id>-<program>-<pid>-<time>.vplay` in `directory` (present when the runtime returned:
/// poststop waits for it), mode 0600, owned by root; the manifest names the container; the
/// crash is SIGSEGV at `faultAddress`; and replay, with the rootfs deleted and from an empty
/// directory, reproduces it. Returns the bundle's path.
@discardableResult
func checkCrashBundle(
    in directory: String, id: String, program: String = "crasher", containerBundle: String?,
    faultAddress: UInt64?, rootfsToDelete: String?, ws: ContainerWorkspace,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    var bundles = vplayBundles(in: directory, id: id)
    if bundles.isEmpty {
        // Diagnose: did it appear late (poststop did not wait), or never?
        let start = Date()
        waitUntil(timeout: 10) { !vplayBundles(in: directory, id: id).isEmpty }
        bundles = vplayBundles(in: directory, id: id)
        let late = bundles.isEmpty ? "and none appeared within 10 s"
            : String(format: "but one appeared %.1f s later: poststop must wait for the monitor to finish it",
                     Date().timeIntervalSince(start))
        Issue.record("no \(id)-*.vplay in \(directory) when the runtime returned, \(late)\n\(vplayLogs(id))",
                     sourceLocation: sourceLocation)
    }
    try #require(bundles.count == 1, "expected exactly one bundle for \(id) in \(directory), found \(bundles)\n\(vplayLogs(id))",
                 sourceLocation: sourceLocation)
    let bundle = bundles[0]
    let name = URL(fileURLWithPath: bundle).lastPathComponent
    let escapedID = NSRegularExpression.escapedPattern(for: id)
    #expect(name.range(of: "^\(escapedID)-\(program)-[0-9]+-.+\\.vplay$", options: .regularExpression) != nil,
            "bundle name \(name) is not <container id>-<program>-<pid>-<time>.vplay", sourceLocation: sourceLocation)
    let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasPrefix(id) && !$0.hasSuffix(".vplay") }
    #expect(leftovers.isEmpty, "temporary files left next to the bundle: \(leftovers)", sourceLocation: sourceLocation)

    var st = stat()
    #expect(stat(bundle, &st) == 0, sourceLocation: sourceLocation)
    #expect(st.st_mode & 0o777 == 0o600, "bundle must be 0600, is \(String(st.st_mode & 0o777, radix: 8))",
            sourceLocation: sourceLocation)
    #expect(st.st_uid == 0, "bundle must be owned by root, uid is \(st.st_uid)", sourceLocation: sourceLocation)

    let manifest = try VPlayBundleTool.inspect(bundle)
    let container = manifest["container"]?.object ?? [:]
    #expect(manifest["container.id"]?.string == id, "manifest container.id must be \(id): \(manifest.brief)",
            sourceLocation: sourceLocation)
    if let containerBundle {
        #expect(manifest["container.bundle"]?.string == containerBundle,
                "manifest container.bundle must be \(containerBundle): \(manifest.brief)", sourceLocation: sourceLocation)
    } else {
        let recorded = manifest["container.bundle"]?.string ?? ""
        #expect(!recorded.isEmpty, "manifest container.bundle: \(manifest.brief)", sourceLocation: sourceLocation)
    }
    #expect(container.contains { $0.key.hasSuffix("io.vplay.record") },
            "the manifest's container record must include the annotations (io.vplay.record): \(manifest.brief)",
            sourceLocation: sourceLocation)
    #expect(manifest["crash.signal"]?.int == Int(SIGSEGV), "crash.signal: \(manifest.brief)", sourceLocation: sourceLocation)
    if let faultAddress {
        #expect(manifest["crash.faultAddress"]?.uint64 == faultAddress,
                "crash.faultAddress must be 0x\(String(faultAddress, radix: 16)): \(manifest.brief)",
                sourceLocation: sourceLocation)
    }
    let pc = manifest["crash.pc"]?.uint64
    #expect(pc != nil && pc != 0, "crash.pc: \(manifest.brief)", sourceLocation: sourceLocation)
    // Partial checkpoint: the trial replay in the monitor proved the saved pages enough.
    #expect(manifest["verified"]?.bool == true, "the bundle must be verified: \(manifest["trial"].map { "\($0)" } ?? "no trial")",
            sourceLocation: sourceLocation)

    // Self-contained replay: the rootfs (program, inputs) is gone, cwd is empty.
    if let rootfsToDelete { try? FileManager.default.removeItem(atPath: rootfsToDelete) }
    let (rep, result) = try VPlayBundleTool.replay(bundle, cwd: ws.replayDirectory)
    #expect(rep.exitCode == 0, "replay must exit 0 when it reproduces the crash:\n\(rep)", sourceLocation: sourceLocation)
    #expect(result["reproduced"]?.bool == true, "replay did not reproduce: \(result.brief)\n\(rep.stderr)",
            sourceLocation: sourceLocation)
    #expect(result["signal"]?.int == Int(SIGSEGV), "replay signal: \(result.brief)", sourceLocation: sourceLocation)
    #expect(result["pc"]?.uint64 == pc, "replay pc must equal the recorded pc: \(result.brief)", sourceLocation: sourceLocation)
    return bundle
}

// vplay-runtime, the OCI runtime shim for engines that do not read hooks (Docker, containerd,
// a Kubernetes RuntimeClass): runc, podman, containerd and Docker driven through it, with a node config
// of the test's own (VPLAY_CONFIG), never the host's /etc/vplay/config.json.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// vplay-runtime run as an engine runs its runtime, with the node config at `config`.
enum Shim {
    static func run(_ arguments: [String], cwd: String, config: String, timeout: Double = 60) throws -> ProcessResult {
        try runProcess(try Locations.vplayRuntime(), arguments, cwd: cwd, environment: ["VPLAY_CONFIG": config], timeout: timeout)
    }
}

extension ContainerTests {
    @Test("vplay-runtime in front of runc: an annotated container that crashes gets vplay's hooks, leaves a bundle that replays, and exits 139 as under runc alone")
    func shimRecordsAnnotatedCrash() throws {
        let ws = try ContainerWorkspace("shim-crash")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-a.txt"])
        let nativeID = uniqueContainerID("native")
        defer { Runc.delete(nativeID) }
        let native = try Runc.run(b, id: nativeID)
        try #require(native.status == 128 + SIGSEGV, "\(native)")
        Runc.delete(nativeID)

        try b.setAnnotations(["io.vplay.record": "1"].merging(HookAnnotations.recordingPath) { $1 })
        let id = uniqueContainerID("shim")
        defer { Runc.delete(id) }
        let rec = try Shim.run(["run", "--bundle", b.dir, id], cwd: b.dir, config: ws.root + "/no-node-config.json")
        #expect(rec.status == native.status, "the exit status is runc's (139):\n\(rec)\n\(vplayLogs(id))")
        #expect(rec.stdout == native.stdout, "the container's stdout passes through:\n\(rec)")
        #expect(rec.stderr == native.stderr, "the shim adds nothing to stderr when all goes well:\n\(rec.stderr)")
        let hooks = try readJSONObject(b.configPath)["hooks"] as? [String: Any] ?? [:]
        #expect(hooks["createRuntime"] != nil && hooks["poststop"] != nil, "config.json holds vplay's hooks: \(hooks)")
        expectMonitorGone(id)
        try checkCrashBundle(in: b.outputDirectory, id: id, containerBundle: b.dir,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!),
                             rootfsToDelete: b.rootfs, ws: ws)
    }

    @Test("vplay-runtime: an annotated container that exits 0 leaves no bundle; one without the annotation is passed through untouched; a recordWhen rule selects one by another annotation")
    func shimPassesThrough() throws {
        let ws = try ContainerWorkspace("shim-pass")
        defer { ws.remove() }
        let ok = try ws.makeBundle("ok", args: ["/okay", "/input-a.txt"])
        try ok.setAnnotations(["io.vplay.record": "1"].merging(HookAnnotations.recordingPath) { $1 })
        let okID = uniqueContainerID("shim-ok")
        defer { Runc.delete(okID) }
        let clean = try Shim.run(["run", "--bundle", ok.dir, okID], cwd: ok.dir, config: ws.root + "/none.json")
        #expect(clean.status == 0, "\(clean)\n\(vplayLogs(okID))")
        expectMonitorGone(okID)
        #expect(vplayBundles(in: ok.outputDirectory, id: okID).isEmpty, "a clean exit leaves no bundle")

        let plain = try ws.makeBundle("plain", args: ["/crasher", "/input-a.txt"])
        let before = readFile(plain.configPath)
        let plainID = uniqueContainerID("shim-plain")
        defer { Runc.delete(plainID) }
        // The bundle is the working directory here, as runc takes it without --bundle.
        let crash = try Shim.run(["run", plainID], cwd: plain.dir, config: ws.root + "/none.json")
        #expect(crash.status == 128 + SIGSEGV, "\(crash)")
        #expect(readFile(plain.configPath) == before, "config.json of a container that did not ask is left as it was")
        #expect(vplayFilesBelow(plain.dir).isEmpty, "nothing recorded: \(vplayFilesBelow(plain.dir))")
        #expect(!FileManager.default.fileExists(atPath: Locations.monitorPIDFile(plainID)), "no monitor for \(plainID)")

        // A node-wide rule selects a container by another annotation (a container or image name).
        let named = try ws.makeBundle("named", args: ["/crasher", "/input-a.txt"])
        try named.setAnnotations(["io.kubernetes.cri.container-name": "api"].merging(HookAnnotations.recordingPath) { $1 })
        let rules = ws.root + "/rules.json"
        try JSONSerialization.data(withJSONObject: ["recordWhen": ["io.kubernetes.cri.container-name": "api|web"]])
            .write(to: URL(fileURLWithPath: rules))
        let namedID = uniqueContainerID("shim-named")
        defer { Runc.delete(namedID) }
        let selected = try Shim.run(["run", "--bundle", named.dir, namedID], cwd: named.dir, config: rules)
        #expect(selected.status == 128 + SIGSEGV, "\(selected)\n\(vplayLogs(namedID))")
        expectMonitorGone(namedID)
        #expect(vplayBundles(in: named.outputDirectory, id: namedID).count == 1, "recordWhen selected it:\n\(vplayLogs(namedID))")

        // Every other subcommand passes through: its output and status are runc's.
        let shimList = try Shim.run(["--help"], cwd: ws.root, config: ws.root + "/none.json")
        #expect(shimList.status == 0 && shimList.stdout.contains("vplay-runtime"), "\(shimList)")
        let state = try Shim.run(["state", "no-such-container-\(getpid())"], cwd: ws.root, config: ws.root + "/none.json")
        let runcState = try runProcess("runc", ["state", "no-such-container-\(getpid())"], timeout: 30)
        #expect(state.status == runcState.status && state.status != 0, "runc's status for a missing container: \(state) vs \(runcState)")
    }

    @Test("vplay-runtime fails open: a config.json it cannot write, a malformed node config, a configured runtime that is missing; strict mode refuses")
    func shimFailsOpen() throws {
        let ws = try ContainerWorkspace("shim-open")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-a.txt"])
        try b.setAnnotations(["io.vplay.record": "1"])
        let config = ws.root + "/node.json"

        // config.json on a read-only mount: the container runs unrecorded, with one line why.
        let ro = try runProcess("mount", ["--bind", "-o", "ro", b.dir, b.dir], timeout: 30)
        try #require(ro.exitCode == 0, "\(ro)")
        var mounted = true
        defer { if mounted { _ = try? runProcess("umount", [b.dir], timeout: 30) } }
        try "{\"runtime\": \"/nonexistent/runc\"}".write(toFile: config, atomically: true, encoding: .utf8)
        let id = uniqueContainerID("shim-ro")
        defer { Runc.delete(id) }
        let r = try Shim.run(["run", "--bundle", b.dir, id], cwd: ws.root, config: config)
        #expect(r.status == 128 + SIGSEGV, "the container runs, unrecorded:\n\(r)")
        #expect(r.stderr.contains("vplay-runtime: the container runs unrecorded: cannot add vplay's hooks"), "\(r.stderr)")
        #expect(r.stderr.contains("/nonexistent/runc is not an executable; trying runc on PATH"), "\(r.stderr)")
        _ = try runProcess("umount", [b.dir], timeout: 30)
        mounted = false
        Runc.delete(id)

        // A malformed node config: one line, and the container runs (recorded, by its annotation).
        try "{\"recordAll\": \"yes\"".write(toFile: config, atomically: true, encoding: .utf8)
        let id2 = uniqueContainerID("shim-bad")
        defer { Runc.delete(id2) }
        let bad = try Shim.run(["run", "--bundle", b.dir, id2], cwd: ws.root, config: config)
        #expect(bad.status == 128 + SIGSEGV, "\(bad)\n\(vplayLogs(id2))")
        #expect(bad.stderr.split(separator: "\n").filter { $0.hasPrefix("vplay-runtime: ignoring the node config") }.count == 1,
                "one line about the node config:\n\(bad.stderr)")
        expectMonitorGone(id2)
        #expect(vplayBundles(in: b.outputDirectory, id: id2).count == 1, "recorded by the annotation")

        // Strict mode: a hook that cannot be installed stops the container from starting.
        try "{\"strict\": true, \"hook\": \"/nonexistent/vplay-hook\"}".write(toFile: config, atomically: true, encoding: .utf8)
        let strict = try Shim.run(["run", "--bundle", b.dir, uniqueContainerID("shim-strict")], cwd: ws.root, config: config)
        #expect(strict.status == 1 && strict.stderr.contains("strict mode"), "\(strict)")
    }

    @Test("the node config through vplay-runtime: its output directory, and its on-bundle command, which gets the complete bundle's path after the container ended; a failing command changes nothing")
    func shimNodeConfigOnBundle() throws {
        let ws = try ContainerWorkspace("shim-node")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-a.txt"])
        try b.setAnnotations(["io.vplay.record": "1"].merging(HookAnnotations.recordingPath) { $1 })
        let config = ws.root + "/node.json", output = ws.root + "/node-out", uploads = ws.root + "/uploads"
        try FileManager.default.createDirectory(atPath: uploads, withIntermediateDirectories: true)
        // It waits 4 s first: the container must have ended long before it copies.
        let upload = #"sleep 4; cp "$1" \#(uploads)/ && echo "$1" > \#(uploads)/done"#
        try JSONSerialization.data(withJSONObject: ["output": output, "onBundle": upload])
            .write(to: URL(fileURLWithPath: config))
        let hookLog = LogTail(Locations.hookLog)
        let id = uniqueContainerID("shim-node")
        defer { Runc.delete(id) }
        let rec = try Shim.run(["run", "--bundle", b.dir, id], cwd: b.dir, config: config)
        #expect(rec.status == 128 + SIGSEGV, "\(rec)\n\(vplayLogs(id))")
        #expect(!FileManager.default.fileExists(atPath: uploads + "/done"), "the container's end did not wait for the command")
        expectMonitorGone(id)
        let bundles = vplayBundles(in: output, id: id)
        try #require(bundles.count == 1, "the node config's output directory holds the bundle: \(bundles)\n\(vplayLogs(id))")
        for _ in 0..<300 where !FileManager.default.fileExists(atPath: uploads + "/done") { usleep(100_000) }
        #expect(readFile(uploads + "/done").trimmingCharacters(in: .whitespacesAndNewlines) == bundles[0], "the command got the bundle's path as $1")
        let copy = uploads + "/" + URL(fileURLWithPath: bundles[0]).lastPathComponent
        #expect(FileManager.default.contentsEqual(atPath: copy, andPath: bundles[0]), "it ran after the bundle was complete")
        let verify = try VPlayBundleTool.run(["verify", copy])
        #expect(verify.exitCode == 0, "the copy is a complete bundle: \(verify)")
        for _ in 0..<50 where !hookLog.appended().contains("on-bundle command for \(bundles[0]) exited with status 0") { usleep(100_000) }
        #expect(hookLog.appended().contains("on-bundle command for \(bundles[0]) exited with status 0"), "\(hookLog.appended())")

        // A failing command: logged, and nothing changes for the container.
        try JSONSerialization.data(withJSONObject: ["output": output, "onBundle": "echo uploading; exit 3"])
            .write(to: URL(fileURLWithPath: config))
        let id2 = uniqueContainerID("shim-fail")
        defer { Runc.delete(id2) }
        let failing = try Shim.run(["run", "--bundle", b.dir, id2], cwd: b.dir, config: config)
        #expect(failing.status == 128 + SIGSEGV && failing.stdout == rec.stdout, "\(failing)")
        expectMonitorGone(id2)
        let second = vplayBundles(in: output, id: id2)
        try #require(second.count == 1, "\(second)")
        let line = "on-bundle command for \(second[0]) failed: it exited with status 3"
        for _ in 0..<100 where !hookLog.appended().contains(line) { usleep(100_000) }
        #expect(hookLog.appended().contains(line), "\(hookLog.appended())")
    }

    @Test("podman --runtime vplay-runtime: an annotated crash is recorded, exit status 139 as with runc")
    func podmanThroughShim() throws {
        let ws = try ContainerWorkspace("podman-shim")
        defer { ws.remove() }
        let rootfs = ws.root + "/rootfs"
        try ws.buildRootfs(at: rootfs)
        let output = ws.root + "/podman-out"
        let cidFile = ws.root + "/c.cid"
        var id = ""
        defer {
            Podman.remove(cidFile: cidFile)
            if !id.isEmpty { Monitor.killLeftover(id) }
        }
        let path = HookAnnotations.recordingPath.flatMap { ["--annotation", "\($0.key)=\($0.value)"] }
        let rec = try runProcess("podman", ["--runtime", try Locations.vplayRuntime(), "run", "--rm", "--cidfile", cidFile]
                                 + Podman.baseOptions + path
                                 + ["--annotation", "io.vplay.record=1", "--annotation", "io.vplay.output=\(output)",
                                    "--rootfs", rootfs, "/crasher", "/input-a.txt"], timeout: 180)
        id = try #require(Podman.containerID(cidFile: cidFile), "podman wrote no container id:\n\(rec)")
        #expect(rec.status == 128 + SIGSEGV, "\(rec)\n\(vplayLogs(id))")
        expectMonitorGone(id)
        try checkCrashBundle(in: output, id: id, containerBundle: nil,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!),
                             rootfsToDelete: rootfs, ws: ws)
    }
}

/// A containerd of the test's own (Debian's package): its root, state and sockets in the
/// workspace, the CRI plugin off; stopped by pid.
final class Containerd {
    let socket: String
    let daemon: BackgroundProcess

    init(in ws: ContainerWorkspace) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/containerd") && FileManager.default.isExecutableFile(atPath: "/usr/bin/ctr"),
                     "containerd is not installed (apt-get install -y containerd)")
        let dir = ws.root + "/containerd"
        socket = dir + "/c.sock"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = """
            version = 2
            root = "\(dir)/root"
            state = "\(dir)/state"
            disabled_plugins = ["io.containerd.grpc.v1.cri"]
            [grpc]
              address = "\(socket)"
            [ttrpc]
              address = "\(socket).ttrpc"
            """
        try config.write(toFile: dir + "/config.toml", atomically: true, encoding: .utf8)
        daemon = try BackgroundProcess("/usr/bin/containerd", ["--config", dir + "/config.toml"])
        for _ in 0..<100 {
            if let v = try? ctr(["version"], timeout: 10), v.status == 0 { return }
            if let ended = daemon.poll() { throw ContainerTestError("containerd did not start:\n\(ended)") }
            usleep(100_000)
        }
        throw ContainerTestError("containerd did not answer on \(socket) within 10 s")
    }

    func ctr(_ arguments: [String], timeout: Double = 90) throws -> ProcessResult {
        try runProcess("/usr/bin/ctr", ["--address", socket] + arguments, timeout: timeout)
    }

    func stop() {
        kill(daemon.pid, SIGTERM)
        _ = try? daemon.wait(timeout: 30)
    }

    /// Imports `rootfs` as the image `name`: an OCI image layout (one uncompressed layer) in a
    /// tarball, made here; the native snapshotter, which works on any filesystem.
    func importImage(rootfs: String, name: String, in dir: String) throws {
        let script = #"""
            set -eu
            cd "$1"; mkdir -p layout/blobs/sha256
            blob() { d=$(sha256sum "$1" | cut -d' ' -f1); s=$(stat -c %s "$1"); mv "$1" "layout/blobs/sha256/$d"; echo "$d $s"; }
            tar -C "$2" -cf layer.tar .
            set -- "$@" $(blob layer.tar)
            printf '{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$4" > config.json
            set -- "$@" $(blob config.json)
            printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' "$6" "$7" "$4" "$5" > manifest.json
            set -- "$@" $(blob manifest.json)
            printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"1"}}]}' "$8" "$9" "$3" > layout/index.json
            printf '{"imageLayoutVersion":"1.0.0"}' > layout/oci-layout
            tar -C layout -cf image.tar .
            """#
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let made = try runProcess("/bin/sh", ["-c", script, "sh", dir, rootfs, name], timeout: 120)
        try #require(made.exitCode == 0, "building the image tarball: \(made)")
        let imported = try ctr(["images", "import", "--snapshotter", "native", dir + "/image.tar"], timeout: 120)
        try #require(imported.status == 0 && imported.stdout.contains(name), "ctr images import: \(imported)")
    }
}

extension ContainerTests {
    @Test("containerd with vplay-runtime as the runc binary (ctr run --runc-binary): a crash in an image imported from a tarball made by the test is recorded and replays, a clean exit leaves nothing; statuses as without the shim")
    func containerdThroughShim() throws {
        let ws = try ContainerWorkspace("containerd")
        defer { ws.remove() }
        let rootfs = ws.root + "/rootfs"
        try ws.buildRootfs(at: rootfs)
        let containerd = try Containerd(in: ws)
        defer { containerd.stop() }
        let output = ws.root + "/out"
        let shim = try Locations.vplayRuntime()
        let recorded = ["--runc-binary", shim, "--annotation", "io.vplay.record=1", "--annotation", "io.vplay.output=\(output)"]
            + HookAnnotations.recordingPath.flatMap { ["--annotation", "\($0.key)=\($0.value)"] }

        let image = "docker.io/library/vplay-test:\(getpid())"
        try containerd.importImage(rootfs: rootfs, name: image, in: ws.root + "/image")
        let native = try containerd.ctr(["run", "--rm", "--snapshotter", "native", image, uniqueContainerID("ctd-native"), "/crasher", "/input-a.txt"])
        try #require(native.status == 128 + SIGSEGV, "ctr run without the shim: \(native)")

        // From a rootfs directory, and from the imported image.
        let okID = uniqueContainerID("ctd-ok")
        defer { Monitor.killLeftover(okID) }
        let ok = try containerd.ctr(["run", "--rm"] + recorded + ["--rootfs", rootfs, okID, "/okay", "/input-a.txt"])
        #expect(ok.status == 0, "\(ok)\n\(vplayLogs(okID))")
        expectMonitorGone(okID)
        #expect(vplayBundles(in: output, id: okID).isEmpty, "a clean exit leaves no bundle")

        let id = uniqueContainerID("ctd-crash")
        defer { Monitor.killLeftover(id) }
        let rec = try containerd.ctr(["run", "--rm", "--snapshotter", "native"] + recorded + [image, id, "/crasher", "/input-a.txt"])
        #expect(rec.status == native.status && rec.stdout == native.stdout, "\(rec)\n\(vplayLogs(id))")
        expectMonitorGone(id)
        try checkCrashBundle(in: output, id: id, containerBundle: nil,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!),
                             rootfsToDelete: rootfs, ws: ws)
    }
}

/// A dockerd of the test's own (Debian's docker.io): its data, exec root and socket in the
/// workspace, no networking, vplay-runtime registered as the runtime "vplay", the node config
/// in its environment (which reaches the runtime through containerd and its shim).
final class Dockerd {
    let socket: String
    let daemon: BackgroundProcess

    init(in ws: ContainerWorkspace, nodeConfig: String) throws {
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd") && FileManager.default.isExecutableFile(atPath: "/usr/bin/docker"),
                     "Docker is not installed (apt-get install -y docker.io)")
        let dir = ws.root + "/docker"
        socket = dir + "/d.sock"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let runtimes = ["runtimes": ["vplay": ["path": try Locations.vplayRuntime()]]]
        try JSONSerialization.data(withJSONObject: runtimes).write(to: URL(fileURLWithPath: dir + "/daemon.json"))
        daemon = try BackgroundProcess("/usr/sbin/dockerd", [
            "--config-file", dir + "/daemon.json", "--data-root", dir + "/data", "--exec-root", dir + "/exec",
            "--pidfile", dir + "/docker.pid", "-H", "unix://" + socket,
            "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
        ], environment: ["VPLAY_CONFIG": nodeConfig])
        for _ in 0..<200 {
            if let v = try? docker(["version"], timeout: 10), v.status == 0 { return }
            if let ended = daemon.poll() { throw ContainerTestError("dockerd did not start:\n\(ended)") }
            usleep(100_000)
        }
        throw ContainerTestError("dockerd did not answer on \(socket) within 20 s")
    }

    func docker(_ arguments: [String], stdin: Data? = nil, timeout: Double = 120) throws -> ProcessResult {
        try runProcess("/usr/bin/docker", ["-H", "unix://" + socket] + arguments, stdin: stdin, timeout: timeout)
    }

    func stop() {
        kill(daemon.pid, SIGTERM)
        _ = try? daemon.wait(timeout: 60)
    }
}

extension ContainerTests {
    @Test("Docker with vplay-runtime as a runtime of daemon.json (docker run --runtime vplay), recordAll in the node config: a crash is recorded and replays, a clean exit leaves nothing; statuses as with runc")
    func dockerThroughShim() throws {
        let ws = try ContainerWorkspace("docker")
        defer { ws.remove() }
        let rootfs = ws.root + "/rootfs"
        try ws.buildRootfs(at: rootfs)
        // Docker 20.10 has no --annotation: the node config records every container of this daemon.
        let output = ws.root + "/out"
        let config = ws.root + "/node.json"
        try JSONSerialization.data(withJSONObject: ["recordAll": true, "output": output]).write(to: URL(fileURLWithPath: config))
        let dockerd = try Dockerd(in: ws, nodeConfig: config)
        defer { dockerd.stop() }
        // The image: a tarball of the test's rootfs.
        let tar = try runProcess("tar", ["-C", rootfs, "-cf", ws.root + "/rootfs.tar", "."], timeout: 60)
        try #require(tar.exitCode == 0, "\(tar)")
        let image = "vplay-test:\(getpid())"
        let imported = try dockerd.docker(["import", ws.root + "/rootfs.tar", image])
        try #require(imported.status == 0, "docker import: \(imported)")

        let native = try dockerd.docker(["run", "--rm", "--network", "none", image, "/crasher", "/input-a.txt"])
        try #require(native.status == 128 + SIGSEGV, "docker run with runc: \(native)")
        #expect(vplayFilesBelow(output).isEmpty, "runc alone records nothing")

        let ok = try dockerd.docker(["run", "--rm", "--network", "none", "--runtime", "vplay", image, "/okay", "/input-a.txt"])
        #expect(ok.status == 0, "\(ok)")
        #expect(vplayFilesBelow(output).isEmpty, "a clean exit leaves no bundle")

        let cidFile = ws.root + "/crash.cid"
        let rec = try dockerd.docker(["run", "--rm", "--network", "none", "--runtime", "vplay", "--cidfile", cidFile, image,
                                      "/crasher", "/input-a.txt"])
        let id = readFile(cidFile).trimmingCharacters(in: .whitespacesAndNewlines)
        defer { if !id.isEmpty { Monitor.killLeftover(id) } }
        #expect(rec.status == native.status && rec.stdout == native.stdout, "\(rec)\n\(vplayLogs(id))")
        try #require(!id.isEmpty, "docker wrote no container id")
        expectMonitorGone(id)
        try checkCrashBundle(in: output, id: id, containerBundle: nil,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!),
                             rootfsToDelete: rootfs, ws: ws)
    }
}

// podman through hooks.d, and crun inside `unshare -m` with a cgroup2 mount.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - podman

extension ContainerTests {
    @Test("podman --runtime runc with --hooks-dir (oci-hooks/ JSON) and --annotation io.vplay.record=1")
    func podmanCrash() throws {
        let ws = try ContainerWorkspace("podman")
        defer { ws.remove() }
        let rootfs = ws.root + "/rootfs"
        try ws.buildRootfs(at: rootfs)
        let hooksDir = try ws.makeHooksDirectory()
        let output = ws.root + "/podman-out"

        let nativeCID = ws.root + "/native.cid"
        defer { Podman.remove(cidFile: nativeCID) }
        let native = try Podman.run(rootfs: rootfs, command: ["/crasher", "/input-a.txt"], cidFile: nativeCID)
        try #require(native.status == 128 + SIGSEGV, """
            podman (--runtime runc --rootfs) must run the crasher and exit 139 without vplay; if it \
            cannot run containers here, this is why:\n\(native)
            """)

        let cidFile = ws.root + "/recorded.cid"
        let hookLog = LogTail(Locations.hookLog)
        var id = ""
        defer {
            Podman.remove(cidFile: cidFile)
            if !id.isEmpty { Monitor.killLeftover(id) }
        }
        let rec = try Podman.run(rootfs: rootfs, command: ["/crasher", "/input-a.txt"], cidFile: cidFile,
                                 extra: ["--hooks-dir", hooksDir,
                                         "--annotation", "io.vplay.record=1",
                                         "--annotation", "io.vplay.output=\(output)"])
        id = try #require(Podman.containerID(cidFile: cidFile), "podman wrote no container id to \(cidFile):\n\(rec)")
        #expect(!rec.timedOut, "\(rec)\n\(vplayLogs(id, hookLog: hookLog))")
        #expect(rec.status == native.status, "exit status must be the same as without recording (139):\n\(rec)\n\(vplayLogs(id, hookLog: hookLog))")
        #expect(rec.stdout == native.stdout, "the container's stdout must be what it is without vplay")
        expectMonitorGone(id)
        #expect(vplayFilesBelow(rootfs).isEmpty, "vplay wrote inside the container's rootfs")
        try checkCrashBundle(in: output, id: id, containerBundle: nil,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!),
                             rootfsToDelete: rootfs, ws: ws)
    }

    @Test("podman: without the annotation the hooks.d JSON does not trigger and nothing is recorded")
    func podmanNotAnnotated() throws {
        let ws = try ContainerWorkspace("podman-off")
        defer { ws.remove() }
        let rootfs = ws.root + "/rootfs"
        try ws.buildRootfs(at: rootfs)
        let hooksDir = try ws.makeHooksDirectory()
        let output = ws.root + "/podman-out"
        let cidFile = ws.root + "/c.cid"
        defer { Podman.remove(cidFile: cidFile) }
        let rec = try Podman.run(rootfs: rootfs, command: ["/crasher", "/input-a.txt"], cidFile: cidFile,
                                 extra: ["--hooks-dir", hooksDir, "--annotation", "io.vplay.output=\(output)"])
        #expect(rec.status == 128 + SIGSEGV, "\(rec)")
        let id = Podman.containerID(cidFile: cidFile) ?? "?"
        #expect(!FileManager.default.fileExists(atPath: Locations.monitorPIDFile(id)), "no monitor may start for \(id)")
        #expect(vplayFilesBelow(ws.root).isEmpty, "no bundle without io.vplay.record: \(vplayFilesBelow(ws.root))")
    }
}

// MARK: - crun

extension ContainerTests {
    /// Whether this process has CAP_SYS_RESOURCE (bit 24 of CapEff).
    static func hasCapSysResource() -> Bool {
        let status = readFile("/proc/self/status")
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let caps = UInt64(line.dropFirst("CapEff:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        else { return false }
        return caps & (1 << 24) != 0
    }

    @Test("crun inside unshare -m with cgroup2 mounted: a crashing container is recorded and replayed")
    func crunCrash() throws {
        let ws = try ContainerWorkspace("crun")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-a.txt"])

        // 1. On the host as it is. On these machines (hybrid cgroup v1 + v2 layout) crun refuses.
        let hostID = uniqueContainerID("crun-host")
        defer { Crun.delete(hostID, cgroupManagerDisabled: false) }
        let onHost = try Crun.runOnHost(b, id: hostID)
        if onHost.status != 128 + SIGSEGV {
            print("crun on the host: \(onHost.stderr.trimmingCharacters(in: .whitespacesAndNewlines)) (exit \(onHost.status))")
            #expect(onHost.stderr.contains("cgroups in hybrid mode not supported"),
                    "crun on the host failed for an unexpected reason:\n\(onHost)")
        }
        Crun.delete(hostID, cgroupManagerDisabled: false)

        // 2. Inside `unshare -m` with cgroup2 on /sys/fs/cgroup. crun then raises RLIMIT_MEMLOCK
        //    (to load its eBPF device filter), which needs CAP_SYS_RESOURCE; without it the only
        //    way is `--cgroup-manager=disabled` (no cgroup at all for the container).
        let plainID = uniqueContainerID("crun-plain")
        defer { Crun.delete(plainID, cgroupManagerDisabled: false) }
        let plain = try Crun.run(b, id: plainID, cgroupManagerDisabled: false)
        var disableCgroups = false
        if plain.status != 128 + SIGSEGV {
            let why = plain.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
            print("crun in unshare -m + cgroup2: \"\(why)\" (exit \(plain.status)); CAP_SYS_RESOURCE: \(Self.hasCapSysResource())")
            #expect(why.contains("setrlimit (RLIM_MEMLOCK): Operation not permitted") && !Self.hasCapSysResource(),
                    "crun in unshare -m failed for an unexpected reason:\n\(plain)")
            disableCgroups = true
        }
        Crun.delete(plainID, cgroupManagerDisabled: false)

        let nativeID = uniqueContainerID("crun-native")
        defer { Crun.delete(nativeID, cgroupManagerDisabled: disableCgroups) }
        let native = try Crun.run(b, id: nativeID, cgroupManagerDisabled: disableCgroups)
        try #require(native.status == 128 + SIGSEGV, """
            crun cannot run containers here at all (unshare -m, cgroup2 on /sys/fs/cgroup\
            \(disableCgroups ? ", --cgroup-manager=disabled" : "")):\n\(native)
            """)
        if disableCgroups {
            print("crun runs here only with --cgroup-manager=disabled (inside unshare -m with cgroup2 mounted)")
        }
        Crun.delete(nativeID, cgroupManagerDisabled: disableCgroups)

        // 3. Recorded.
        try b.installHooks()
        let id = uniqueContainerID("crun")
        let hookLog = LogTail(Locations.hookLog)
        defer {
            Crun.delete(id, cgroupManagerDisabled: disableCgroups)
            Monitor.killLeftover(id)
        }
        let rec = try Crun.run(b, id: id, cgroupManagerDisabled: disableCgroups)
        #expect(rec.status == native.status, "exit status must be the same as without recording (139):\n\(rec)\n\(vplayLogs(id, hookLog: hookLog))")
        #expect(rec.stdout == native.stdout, "the container's stdout must be what it is without vplay")
        expectMonitorGone(id)
        try checkCrashBundle(in: b.outputDirectory, id: id, containerBundle: b.dir,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!),
                             rootfsToDelete: b.rootfs, ws: ws)
    }
}

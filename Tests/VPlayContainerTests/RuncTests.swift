// Container tests with the real runtimes (issue 3): runc, podman and crun run a busybox-static
// rootfs holding statically linked test programs; vplay-hook, installed in config.json or
// through podman's hooks.d, records them.
//
// One serialized suite: containers are recorded with ptrace and some tests measure time, so
// nothing here runs in parallel with anything else in this suite. Each test has a time limit;
// every process has its own watchdog; every container is deleted in `defer`.

import Foundation
import Testing
import VPlayTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("containers recorded through the OCI hooks", .serialized, .timeLimit(.minutes(5)), .leakChecked)
struct ContainerTests {}

// MARK: - runc

extension ContainerTests {
    @Test("runc: PID 1 crashes, a bundle next to the OCI bundle replays the crash, exit status 139 as without recording")
    func runcCrash() throws {
        let ws = try ContainerWorkspace("runc-crash")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-a.txt"])

        // Without recording.
        let nativeID = uniqueContainerID("native")
        defer { Runc.delete(nativeID) }
        let native = try Runc.run(b, id: nativeID)
        try #require(native.status == 128 + SIGSEGV, "the crasher must end with 139 under runc without vplay:\n\(native)")
        #expect(native.stdout.contains("crasher: pid 1 "), "the crasher must be the container's PID 1:\n\(native)")
        let expectedFault = TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!)
        #expect(announcedFaultAddress(in: native.stdout) == expectedFault)
        Runc.delete(nativeID)

        // With recording; installing twice must not duplicate the hooks.
        try b.installHooks()
        try b.installHooks()
        let id = uniqueContainerID("crash")
        let hookLog = LogTail(Locations.hookLog)
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let rec = try Runc.run(b, id: id)
        #expect(!rec.timedOut, "runc run with vplay timed out:\n\(rec)\n\(vplayLogs(id, hookLog: hookLog))")
        #expect(rec.status == native.status, "exit status must be the same as without recording (139):\n\(rec)\n\(vplayLogs(id, hookLog: hookLog))")
        #expect(rec.stdout == native.stdout, "the container's stdout must be what it is without vplay (vplay logs to /run/vplay only)")
        #expect(rec.stderr == native.stderr, "runc's stderr must be what it is without vplay:\n\(rec.stderr)")
        expectMonitorGone(id)
        #expect(vplayFilesBelow(b.rootfs).isEmpty, "vplay wrote inside the container's rootfs: \(vplayFilesBelow(b.rootfs))")
        #expect(FileManager.default.fileExists(atPath: Locations.containerLog(id)),
                "the monitor must log to \(Locations.containerLog(id))")

        try checkCrashBundle(in: b.outputDirectory, id: id, containerBundle: b.dir, faultAddress: expectedFault,
                             rootfsToDelete: b.rootfs, ws: ws)
    }

    @Test("runc: a container that exits 0 leaves no bundle and keeps its exit status")
    func runcCleanExit() throws {
        let ws = try ContainerWorkspace("runc-ok")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/okay", "/input-a.txt"])
        let nativeID = uniqueContainerID("native")
        defer { Runc.delete(nativeID) }
        let native = try Runc.run(b, id: nativeID)
        try #require(native.status == 0, "okay must exit 0 under runc without vplay:\n\(native)")
        Runc.delete(nativeID)

        try b.installHooks()
        let id = uniqueContainerID("ok")
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let rec = try Runc.run(b, id: id)
        #expect(rec.status == 0, "exit status must be 0 as without recording:\n\(rec)\n\(vplayLogs(id))")
        #expect(rec.stdout == native.stdout)
        expectMonitorGone(id)
        let bundles = vplayBundles(in: b.outputDirectory, id: id)
        #expect(bundles.isEmpty, "a clean exit must leave no bundle, found \(bundles)")
        #expect(vplayFilesBelow(b.dir).isEmpty, "no *.vplay anywhere in the OCI bundle: \(vplayFilesBelow(b.dir))")
    }

    @Test("runc: the hook installed at prestart records too")
    func runcPrestart() throws {
        let ws = try ContainerWorkspace("runc-prestart")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-b.txt"])
        try b.installHooks()
        try b.installHooks(stage: "prestart")  // moves the start hook from createRuntime to prestart
        let config = try readJSONObject(b.configPath)
        let hooks = config["hooks"] as? [String: Any] ?? [:]
        #expect((hooks["createRuntime"] as? [Any] ?? []).isEmpty, "install --stage prestart must replace the createRuntime entry: \(hooks)")
        let id = uniqueContainerID("prestart")
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let rec = try Runc.run(b, id: id)
        #expect(rec.status == 128 + SIGSEGV, "\(rec)\n\(vplayLogs(id))")
        expectMonitorGone(id)
        try checkCrashBundle(in: b.outputDirectory, id: id, containerBundle: b.dir,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-b.txt"]!),
                             rootfsToDelete: b.rootfs, ws: ws)
    }

    @Test("runc: PID 1 is a shell that starts the crashing program as a child")
    func runcShellParent() throws {
        let ws = try ContainerWorkspace("runc-shell")
        defer { ws.remove() }
        let script = #"/crasher /input-b.txt; status=$?; echo "sh: child ended with $status"; exit $status"#
        let b = try ws.makeBundle(args: ["/bin/sh", "-c", script])
        let nativeID = uniqueContainerID("native")
        defer { Runc.delete(nativeID) }
        let native = try Runc.run(b, id: nativeID)
        try #require(native.status == 128 + SIGSEGV, "the shell must exit with its child's 139 without vplay:\n\(native)")
        Runc.delete(nativeID)

        try b.installHooks()
        let id = uniqueContainerID("shell")
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let rec = try Runc.run(b, id: id)
        #expect(rec.status == 128 + SIGSEGV, "\(rec)\n\(vplayLogs(id))")
        #expect(rec.stdout.contains("sh: child ended with 139"), "the shell must see its child die of SIGSEGV:\n\(rec)")
        #expect(!rec.stdout.contains("crasher: pid 1 "), "the crasher must not be PID 1 here:\n\(rec)")
        expectMonitorGone(id)
        // Only the crasher gets a bundle: the shell exits with 139, which is not a signal.
        try checkCrashBundle(in: b.outputDirectory, id: id, containerBundle: b.dir,
                             faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-b.txt"]!),
                             rootfsToDelete: b.rootfs, ws: ws)
    }
}

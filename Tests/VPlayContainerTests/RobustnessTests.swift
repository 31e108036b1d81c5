// Fail-open behaviour, hook input errors, strict mode, and two containers at once.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Fail-open

extension ContainerTests {
    @Test("fail-open: killing the monitor leaves the container running to its normal end")
    func killedMonitor() throws {
        let ws = try ContainerWorkspace("fail-open")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/sleeper", "5"])
        try b.installHooks()
        let id = uniqueContainerID("failopen")
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let container = try Runc.start(b, id: id)

        // The hook returns only once the monitor is attached, so the pid file exists before the
        // program runs; wait until the program is visibly running under recording.
        let started = waitUntil(timeout: 20) { container.stdoutSoFar.contains("sleeper: started") || container.poll() != nil }
        try #require(started && container.poll() == nil,
                     "the sleeper did not start (or ended early):\n\(container.stdoutSoFar)\n\(vplayLogs(id))")
        let monitor = try #require(Monitor.live(id),
                                   "no live monitor for \(id) while the container runs (\(Locations.monitorPIDFile(id)))\n\(vplayLogs(id))")
        usleep(1_000_000)
        #expect(container.poll() == nil, "the sleeper should still be running 1 s after it started")
        #expect(kill(monitor, SIGKILL) == 0, "kill(\(monitor), SIGKILL): errno \(errno)")
        #expect(waitUntil(timeout: 10) { !Monitor.isLiveVPlayProcess(monitor) }, "monitor \(monitor) survived SIGKILL")

        let r = try container.wait(timeout: 60)
        #expect(!r.timedOut, "the container hung after its monitor was killed:\n\(r)\n\(vplayLogs(id))")
        #expect(r.status == 0, "the container must still end normally (exit 0):\n\(r)\n\(vplayLogs(id))")
        #expect(r.stdout.contains("sleeper: done after"), "the sleeper must run to its end:\n\(r)")
        // A shadow (the monitor's stopped copy of the process) released by the tracer's death
        // must not run the program a second time.
        for line in ["sleeper: started", "sleeper: done after"] {
            let count = r.stdout.components(separatedBy: line).count - 1
            #expect(count == 1, "\"\(line)\" printed \(count) times (a released shadow ran?):\n\(r)")
        }
        #expect(r.seconds < 40, "the container took \(r.seconds) s for a 5 s program")
        #expect(vplayBundles(in: b.outputDirectory, id: id).isEmpty, "no bundle for a clean exit")
    }
}

// MARK: - Hook input errors and strict mode

extension ContainerTests {
    /// Runs `vplay-hook STAGE` with `stdin` and returns the result and what the logs gained.
    func runHook(_ stage: String, stdin: String, id: String? = nil,
                 environment: [String: String] = [:]) throws -> (ProcessResult, String) {
        let hookLog = LogTail(Locations.hookLog)
        let idLog = id.map { LogTail(Locations.containerLog($0)) }
        let r = try runProcess(try Locations.vplayHook(), [stage], stdin: Data(stdin.utf8), environment: environment, timeout: 30)
        #expect(!r.timedOut, "vplay-hook \(stage) hung:\n\(r)")
        #expect(r.signal == nil, "vplay-hook \(stage) crashed:\n\(r)")
        return (r, hookLog.appended() + (idLog?.appended() ?? ""))
    }

    @Test("malformed state JSON: a clear log line in /run/vplay/vplay-hook.log and exit 0")
    func malformedState() throws {
        try Prerequisites.require()
        for stage in ["createRuntime", "prestart", "poststop"] {
            let (r, log) = try runHook(stage, stdin: "{this is not the OCI state")
            #expect(r.exitCode == 0, "vplay-hook \(stage) must fail open (exit 0) on malformed state JSON:\n\(r)")
            #expect(log.contains("malformed"), "vplay-hook \(stage) must log why to \(Locations.hookLog); it logged:\n\(log)\n\(r)")
        }
        let (empty, log) = try runHook("createRuntime", stdin: "")
        #expect(empty.exitCode == 0, "empty stdin must fail open:\n\(empty)")
        #expect(!log.isEmpty, "empty stdin must be logged")
    }

    @Test("missing config.json: exit 0 and a log line; with io.vplay.strict=1, or a node config's strict, a non-zero exit")
    func missingConfig() throws {
        try Prerequisites.require()
        let dir = try makeTempDirectory(prefix: "vplay-ct-noconfig")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A real, harmless process as the "container init", in case the hook got as far as attaching.
        let sleeper = try BackgroundProcess("sleep", ["30"])
        defer { _ = try? sleeper.wait(timeout: 0) }

        func state(_ id: String, strict: Bool) -> String {
            var annotations = ["io.vplay.record": "1"]
            if strict { annotations["io.vplay.strict"] = "1" }
            let json = try! JSONSerialization.data(withJSONObject: [
                "ociVersion": "1.0.2", "id": id, "status": "creating", "pid": Int(sleeper.pid),
                "bundle": dir, "annotations": annotations,
            ] as [String: Any])
            return String(decoding: json, as: UTF8.self)
        }

        let lenientID = uniqueContainerID("noconfig")
        defer { Monitor.killLeftover(lenientID) }
        let (lenient, lenientLog) = try runHook("createRuntime", stdin: state(lenientID, strict: false), id: lenientID)
        #expect(lenient.exitCode == 0, "without strict, a missing config.json must fail open (exit 0):\n\(lenient)")
        #expect(lenientLog.contains("config.json"), "the log must say config.json is missing; it logged:\n\(lenientLog)")
        #expect(Monitor.live(lenientID) == nil, "no monitor may run without a config")

        let strictID = uniqueContainerID("strict")
        defer { Monitor.killLeftover(strictID) }
        let (strict, strictLog) = try runHook("createRuntime", stdin: state(strictID, strict: true), id: strictID)
        #expect(strict.exitCode != 0, "with io.vplay.strict=1 a missing config.json must fail the hook (non-zero):\n\(strict)")
        #expect(strictLog.contains("config.json"), "the strict failure must be logged too; it logged:\n\(strictLog)")
        #expect(Monitor.live(strictID) == nil, "no monitor may run without a config")

        // The node's config asks for strict mode; the container does not say.
        let node = dir + "/node-config.json"
        try Data(#"{"strict": true}"#.utf8).write(to: URL(fileURLWithPath: node))
        let nodeID = uniqueContainerID("nodestrict")
        defer { Monitor.killLeftover(nodeID) }
        let (byNode, _) = try runHook("createRuntime", stdin: state(nodeID, strict: false), id: nodeID,
                                      environment: ["VPLAY_CONFIG": node])
        #expect(byNode.exitCode != 0, "a node config with strict: true must fail the hook on a missing config.json:\n\(byNode)")
        #expect(Monitor.live(nodeID) == nil, "no monitor may run without a config")
        #expect(sleeper.poll() == nil, "the stand-in init process must be untouched")
    }

    @Test("strict: a crashing container with io.vplay.strict=1 is recorded as usual")
    func strictRecords() throws {
        let ws = try ContainerWorkspace("strict")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/crasher", "/input-b.txt"])
        try b.installHooks()
        try b.setAnnotations(["io.vplay.strict": "1", "io.vplay.window": "1"])
        let id = uniqueContainerID("strictrec")
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let rec = try Runc.run(b, id: id)
        #expect(rec.status == 128 + SIGSEGV, "\(rec)\n\(vplayLogs(id))")
        expectMonitorGone(id)
        let bundle = try checkCrashBundle(in: b.outputDirectory, id: id, containerBundle: b.dir,
                                          faultAddress: TestInputs.faultAddress(for: TestInputs.files["input-b.txt"]!),
                                          rootfsToDelete: nil, ws: ws)
        let manifest = try VPlayBundleTool.inspect(bundle)
        #expect(manifest["window.seconds"]?.int == 1, "io.vplay.window=1 must set the window: \(manifest.brief)")
    }

    @Test("strict: an output directory inside the rootfs fails the container start")
    func strictRejectsOutputInRootfs() throws {
        let ws = try ContainerWorkspace("strict-rootfs")
        defer { ws.remove() }
        let b = try ws.makeBundle(args: ["/okay"])
        try b.installHooks()
        try b.setAnnotations(["io.vplay.strict": "1", "io.vplay.output": b.rootfs + "/tmp"])
        let id = uniqueContainerID("strictout")
        defer {
            Runc.delete(id)
            Monitor.killLeftover(id)
        }
        let rec = try Runc.run(b, id: id)
        #expect(rec.status != 0, "strict mode must fail the start when the output is inside the rootfs:\n\(rec)")
        #expect(!rec.stdout.contains("okay: pid"), "the program must not have run:\n\(rec)")

        // Without strict the same container runs normally and nothing is written in the rootfs.
        try b.setAnnotations(["io.vplay.strict": "0"])
        let id2 = uniqueContainerID("laxout")
        defer {
            Runc.delete(id2)
            Monitor.killLeftover(id2)
        }
        let lax = try Runc.run(b, id: id2)
        #expect(lax.status == 0, "without strict the container must run (fail-open):\n\(lax)\n\(vplayLogs(id2))")
        #expect(vplayFilesBelow(b.rootfs).isEmpty)
    }
}

// MARK: - Two containers at once

extension ContainerTests {
    @Test("two containers recorded at the same time each get their own monitor and bundle")
    func twoContainers() throws {
        let ws = try ContainerWorkspace("two")
        defer { ws.remove() }
        let a = try ws.makeBundle("bundle-a", args: ["/crasher", "/input-a.txt", "3"])
        let b = try ws.makeBundle("bundle-b", args: ["/crasher", "/input-b.txt", "3"])
        try a.installHooks()
        try b.installHooks()
        let idA = uniqueContainerID("a"), idB = uniqueContainerID("b")
        defer {
            Runc.delete(idA)
            Runc.delete(idB)
            Monitor.killLeftover(idA)
            Monitor.killLeftover(idB)
        }
        let ca = try Runc.start(a, id: idA)
        let cb = try Runc.start(b, id: idB)
        var monitors: (pid_t, pid_t)?
        waitUntil(timeout: 20) {
            if let ma = Monitor.live(idA), let mb = Monitor.live(idB) { monitors = (ma, mb); return true }
            return ca.poll() != nil && cb.poll() != nil
        }
        let ra = try ca.wait(timeout: 120)
        let rb = try cb.wait(timeout: 120)
        if let (ma, mb) = monitors {
            #expect(ma != mb, "each container needs its own monitor")
        } else {
            Issue.record("the two monitors were never running at the same time\n\(vplayLogs(idA))\n\(vplayLogs(idB))")
        }
        #expect(ra.status == 128 + SIGSEGV, "\(ra)\n\(vplayLogs(idA))")
        #expect(rb.status == 128 + SIGSEGV, "\(rb)\n\(vplayLogs(idB))")
        expectMonitorGone(idA)
        expectMonitorGone(idB)
        #expect(vplayBundles(in: a.outputDirectory, id: idB).isEmpty && vplayBundles(in: b.outputDirectory, id: idA).isEmpty,
                "each bundle belongs next to its own OCI bundle")
        let faultA = TestInputs.faultAddress(for: TestInputs.files["input-a.txt"]!)
        let faultB = TestInputs.faultAddress(for: TestInputs.files["input-b.txt"]!)
        #expect(faultA != faultB)
        try checkCrashBundle(in: a.outputDirectory, id: idA, containerBundle: a.dir, faultAddress: faultA,
                             rootfsToDelete: a.rootfs, ws: ws)
        try checkCrashBundle(in: b.outputDirectory, id: idB, containerBundle: b.dir, faultAddress: faultB,
                             rootfsToDelete: b.rootfs, ws: ws)
    }
}

// A real server: redis-server 7 recorded on the bpf path, loaded with redis-benchmark, then
// crashed with its own DEBUG SEGFAULT. Its main thread and its background threads share memory
// and the one recording CPU; the bundle must be verified and replay to the same crash.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("redis-server under redis-benchmark, crashed by DEBUG SEGFAULT: the bundle is verified and replays (bpf path)")
    func redisCrashReplays() throws {
        try Prerequisites.require()
        for tool in ["/usr/bin/redis-server", "/usr/bin/redis-benchmark", "/usr/bin/redis-cli"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool),
                         "\(tool) is missing (apt-get install -y redis-server redis-tools)\(Prerequisites.isCI ? " (CI=true)" : "")")
        }
        let ws = try Workspace("redis")
        defer { ws.remove() }
        let port = String(20000 + Int(getpid() % 20000))
        let recorder = try SpawnedProcess(try Locations.vplayBundle(), [
            "record", "--path", "bpf", "--output", ws.bundleDirectory, "--",
            "/usr/bin/redis-server", "--port", port, "--save", "", "--appendonly", "no",
            "--enable-debug-command", "yes", "--dir", ws.root,
        ], cwd: ws.root)
        let cli = { (args: [String]) in try runProcess("/usr/bin/redis-cli", ["-p", port] + args, timeout: 30) }
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try cli(["ping"])).stdout.contains("PONG")
            if !ready { usleep(100_000) }
        }
        guard ready else {
            let rec = try recorder.wait(timeout: 0)
            Issue.record("redis-server never answered PING under recording:\n\(rec)")
            return
        }
        let bench = try runProcess("/usr/bin/redis-benchmark", ["-p", port, "-n", "5000", "-c", "10", "-t", "set,get", "-q"], timeout: 120)
        #expect(bench.exitCode == 0, "redis-benchmark: \(bench)")
        _ = try cli(["debug", "segfault"])  // the connection closes as the server dies
        let rec = try recorder.wait(timeout: 240)
        #expect(rec.exitCode == 128 + SIGSEGV, "record must end as redis-server did (SIGSEGV):\n\(rec.stderr.suffix(3000))")
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "one bundle expected, found \(bundles):\n\(rec.stderr.suffix(3000))")
        let manifest = try VPlay.inspect(bundles[0])
        #expect(manifest["crash.signal"]?.int == Int(SIGSEGV), "\(manifest.brief)")
        #expect(manifest["recording.schedule"]?.string == "full", "\(manifest.brief)")
        #expect(manifest["verified"]?.bool == true, "the trial replay must reproduce redis's crash: \(manifest["trial"].map { "\($0)" } ?? "no trial")")
        let (replay, result) = try VPlay.replay(bundles[0], in: ws, timeout: 240)
        #expect(result["reproduced"]?.bool == true, "replay: \(result)\n\(replay.stderr.suffix(2000))")
        #expect(result["pc"]?.uint64 == manifest["crash.pc"]?.uint64, "\(result)")
    }
}

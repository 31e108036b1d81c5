// redis-server 7 on the BPF path: loaded by redis-benchmark, then crashed with its own DEBUG
// SEGFAULT. Its threads (the main thread, three bio threads, jemalloc's) and its crash handler
// (which copies memory with rep movsb while writing its report) are what a real server brings.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("bpf path: redis-server under redis-benchmark, crashed by DEBUG SEGFAULT: three recordings, each verified and replayed to the crash")
    func bpfRedisCrash() throws {
        try Prerequisites.require()
        for run in 1...3 {
            let ws = try Workspace("bpf_redis_\(run)")
            defer { ws.remove() }
            let port = 20000 + Int(getpid() % 20000) + run
            let recorder = try SpawnedProcess(try Locations.vplayBundle(), [
                "record", "--path", "bpf", "--output", ws.bundleDirectory, "--", try Redis.server(in: ws),
                "--port", "\(port)", "--save", "", "--appendonly", "no", "--enable-debug-command", "yes", "--dir", ws.root,
            ], cwd: ws.root)
            try Redis.waitUntilServing(port, recorder: recorder)
            let bench = try runProcess("redis-benchmark", ["-p", "\(port)", "-n", "5000", "-c", "10", "-t", "set,get", "-q"], timeout: 120)
            #expect(bench.exitCode == 0 && bench.stdout.contains("GET"), "redis-benchmark:\n\(bench)")
            _ = try runProcess("redis-cli", ["-p", "\(port)", "debug", "segfault"], timeout: 30)
            let rec = try recorder.wait(timeout: 180)
            #expect(rec.status == 128 + SIGSEGV, "record must exit as redis-server did (SIGSEGV):\n\(rec)")
            let bundles = try ws.bundles()
            try #require(bundles.count == 1, "one bundle, of redis-server: \(bundles)\n\(rec)")
            let m = try VPlay.inspect(bundles[0])
            #expect(m["recording.path"]?.string == "bpf", "\(m.brief)")
            #expect(m["crash.signal"]?.int == Int(SIGSEGV), "\(m.brief)")
            #expect((m["registers"]?.array?.count ?? 0) >= 2, "redis runs threads: \(m.brief)")
            #expect(m["recording.schedule"]?.string == "full", "recording.schedule: \(m.brief)")
            #expect(m["verified"]?.bool == true, "run \(run): the trial replay must reproduce the crash: \(m["trial"].map { "\($0)" } ?? "no trial")")
            let (rep, result) = try VPlay.replay(bundles[0], in: ws, timeout: 180)
            #expect(result["reproduced"]?.bool == true && result["signal"]?.int == Int(SIGSEGV),
                    "run \(run): replay: \(result)\n\(rep.stderr.suffix(2000))")
        }
    }
}

enum Redis {
    /// redis-tools' redis-check-rdb is redis-server under another name (it picks its mode by
    /// argv[0]): a link named redis-server runs the server without the service package.
    static func server(in ws: Workspace) throws -> String {
        let binary = "/usr/bin/redis-check-rdb"
        guard FileManager.default.isExecutableFile(atPath: binary),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-benchmark") else {
            throw E2EError("redis is not installed (apt-get install -y redis-tools)")
        }
        let link = ws.root + "/redis-server"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: binary)
        return link
    }

    /// Waits for PONG on `port` (20 s), failing early if the recorder ended.
    static func waitUntilServing(_ port: Int, recorder: SpawnedProcess) throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let ping = try runProcess("redis-cli", ["-p", "\(port)", "ping"], timeout: 5)
            if ping.stdout.contains("PONG") { return }
            if kill(recorder.pid, 0) != 0 { break }
            usleep(100_000)
        }
        let rec = try recorder.wait(timeout: 0)
        throw E2EError("redis-server did not answer on port \(port) within 20 s:\n\(rec)")
    }
}

// The report tells the truth (issue 10): a process is named as it was started, every time is
// on one clock, "last N" are the last before the end, a fault the program's handler caught
// shows before its re-raise, and every --json output comes from the one JSON writer.

import Foundation
import Testing
import VPlayJSON

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("a program started through a symlink of another name: bundle and program carry that name, the manifest the executable")
    func startedThroughSymlink() throws {
        try Prerequisites.require()
        let ws = try Workspace("started_name")
        defer { ws.remove() }
        let program = try ws.compile("handler_reraise")
        let link = ws.path("bin/started-as")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: program)
        let rec = try VPlay.record([link, "0"], in: ws)
        #expect(rec.exitCode == 128 + SIGSEGV, "\(rec)")
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "one bundle expected:\n\(rec)")
        let name = URL(fileURLWithPath: bundles[0]).lastPathComponent
        #expect(name.hasPrefix("started-as-"), "the bundle is named after argv[0] (started-as), not the executable: \(name)")

        let json = try VPlay.inspect(bundles[0])
        #expect(json["process.program"]?.string == "started-as", "process.program: \(json["process"].map { "\($0)" } ?? "none")")
        let resolved = try #require(realpath(program, nil).map { p in defer { free(p) }; return String(cString: p) })
        #expect(json["process.executable"]?.string == resolved, "process.executable is the resolved executable \(resolved)")
        #expect(json["process.argv"]?.array?.first?.string == link)

        let text = try VPlay.run(["inspect", bundles[0]])
        #expect(text.stdout.contains("  program   started-as\n"), "\(text.stdout.prefix(600))")
        let list = try VPlay.run(["list", "--json", ws.bundleDirectory])
        #expect(try JSON.parse(list.stdout).array?.first?[key: "program"]?.string == "started-as", "\(list)")
    }

    /// handler_reraise 1.5 with --window 1: the log joins the exec window and the one a
    /// rotation started 1 s later; the handler's writes and kill() come last, after the fault.
    @Test("a handler catches SEGV_MAPERR and re-raises with kill across a rotation: one clock, last N before the end, the fault first")
    func handlerReraiseAcrossRotation() throws {
        try Prerequisites.require()
        let ws = try Workspace("handler_reraise")
        defer { ws.remove() }
        let program = try ws.compile("handler_reraise")
        let rec = try VPlay.record([program, "1.5"], in: ws, options: ["--window", "1"])
        #expect(rec.exitCode == 128 + SIGSEGV, "\(rec)")
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "one bundle expected:\n\(rec)")
        let bundle = bundles[0]

        let all = try inspectJSON(bundle, ["--syscalls", "all"])
        let calls = all["recentSyscalls"]?.array ?? []
        let seconds = calls.compactMap { $0[key: "secondsBeforeEnd"]?.double }
        try #require(seconds.count == calls.count && calls.count > 100, "\(calls.count) calls: \(all.brief)")
        let duration = try #require(all["window.duration"]?.double)
        #expect(seconds.allSatisfy { $0 >= 0 }, "a call timed after the crash: \(seconds.filter { $0 < 0 }.prefix(5))")
        #expect(zip(seconds, seconds.dropFirst()).allSatisfy { $0 >= $1 }, "the calls are not in time order")
        #expect(seconds.first.map { $0 > 1.0 && $0 <= duration } == true,
                "the oldest call must be more than one 1 s window before the crash and within the log (\(duration) s): \(seconds.first ?? -1)")

        // The last 7 calls are the handler's (writes, getpid, kill), all after the fault.
        let last = try inspectJSON(bundle, ["--syscalls", "7"])
        let tail = last["recentSyscalls"]?.array ?? []
        #expect(tail.last?[key: "name"]?.string == "kill", "the last call before the end is the handler's kill: \(tail)")
        #expect(tail.filter { $0[key: "name"]?.string == "write" && $0[key: "call"]?.string?.hasPrefix("write(2,") == true }.count == 4,
                "the handler's four writes to stderr are among the last 7: \(tail)")

        let fault = try #require(all["crash.caughtFault"], "crash.caughtFault missing")
        #expect(fault[key: "signal"]?.int == Int(SIGSEGV) && fault[key: "codeName"]?.string == "SEGV_MAPERR", "\(fault)")
        #expect(fault[key: "faultAddress"]?.uint64 == 0x40, "\(fault)")
        #expect(fault[key: "pcLocation"]?[key: "symbol"]?.string == "handle_request", "\(fault)")
        #expect(fault[key: "tid"]?.int == all["crash.tid"]?.int)
        #expect(all["crash.codeName"]?.string == "SI_USER", "the end is the re-raise: \(all.brief)")
        let faultSeconds = try #require(fault[key: "secondsBeforeEnd"]?.double)
        #expect(tail.allSatisfy { ($0[key: "secondsBeforeEnd"]?.double ?? .infinity) < faultSeconds },
                "the handler's calls follow the fault (\(faultSeconds) s before the end): \(tail)")

        let text = try VPlay.run(["inspect", bundle, "--syscalls", "7"]).stdout
        let first = text.range(of: "  first     SIGSEGV (SEGV_MAPERR: address not mapped)")
        let end = text.range(of: "  end       SIGSEGV (SI_USER: sent by kill)")
        #expect(first != nil && end != nil && first!.lowerBound < end!.lowerBound, "the fault comes before the re-raise:\n\(text)")
        #expect(text.contains("  fault     address 0x40, not in any mapping"), "\(text)")
        #expect(text.range(of: #"  fault pc  0x[0-9a-f]+  handle_request\+0x"#, options: .regularExpression) != nil, "\(text)")
        let caught = text.range(of: "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x40} --- caught by the program's handler")
        let kill = text.range(of: "kill(")
        #expect(caught != nil && kill != nil && caught!.lowerBound < kill!.lowerBound, "\(text)")
    }

    @Test("inspect, verify, list and replay --json are printed by the one JSON writer")
    func everyJSONOutputOneWriter() throws {
        try Prerequisites.require()
        let ws = try Workspace("json_outputs")
        defer { ws.remove() }
        let program = try ws.compile("handler_reraise")
        let rec = try VPlay.record([program, "0"], in: ws)
        #expect(rec.exitCode == 128 + SIGSEGV, "\(rec)")
        let bundle = try #require(try ws.bundles().first, "no bundle:\n\(rec)")
        let outputs: [(String, [String], Set<Int32>)] = [
            ("inspect", ["inspect", bundle, "--json"], [0]),
            ("verify", ["verify", bundle, "--json"], [0]),
            ("list", ["list", ws.bundleDirectory, "--json"], [0]),
            ("replay", ["replay", bundle, "--json"], [0, 1]),
        ]
        for (name, arguments, statuses) in outputs {
            let r = try VPlay.run(arguments, cwd: ws.replayDirectory)
            #expect(statuses.contains(r.exitCode ?? -1), "\(name):\n\(r)")
            let value = try JSONValue.parse(Data(r.stdout.utf8))
            #expect(r.stdout == value.printed, "\(name) --json is not the one writer's form (pretty, sorted keys):\n\(r.stdout.prefix(400))")
        }
        let verify = try JSON.parse(try VPlay.run(["verify", bundle, "--json"]).stdout)
        #expect(verify["ok"]?.bool == true && verify["problems"]?.array?.isEmpty == true, "\(verify)")
        let replay = try JSON.parse(try VPlay.run(["replay", bundle, "--json"], cwd: ws.replayDirectory).stdout)
        for key in ["reproduced", "signal", "exitCode", "pc", "faultAddress", "syscalls", "eventsReplayed", "events", "divergence"] {
            #expect(replay[key: key] != nil, "replay --json lacks \(key): \(replay)")
        }
        // The end is a SIGSEGV sent by kill: si_addr holds the sender's pid, not a fault address.
        #expect(replay[key: "faultAddress"]?.isNull == true, "a re-raised SIGSEGV has no fault address: \(replay)")
    }

    func inspectJSON(_ bundle: String, _ options: [String]) throws -> JSON {
        let r = try VPlay.run(["inspect", bundle, "--json"] + options)
        guard r.exitCode == 0 else { throw E2EError("inspect failed:\n\(r)") }
        return try JSON.parse(r.stdout)
    }
}

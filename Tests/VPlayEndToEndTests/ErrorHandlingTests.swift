// Bad input: missing, truncated, corrupted and random-byte bundles, bad arguments.
// Each must give exit status 2 with one clear message on stderr, and never crash the tool.
// (Unknown format versions are covered by the VPlayBundle unit tests.)

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("a missing bundle file")
    func missingBundle() throws {
        _ = try Locations.vplayBundle()
        let missing = "/tmp/vplay-e2e-does-not-exist-\(getpid()).vplay"
        for command in ["replay", "inspect"] {
            let r = try VPlay.run([command, missing], timeout: 30)
            expectCleanError(r, "\(command) of a missing file")
            #expect(r.stderr.contains(missing), "\(command): the message should name the file:\n\(r)")
        }
    }

    @Test("a file of random bytes")
    func randomBytes() throws {
        _ = try Locations.vplayBundle()
        let ws = try Workspace("random_bytes")
        defer { ws.remove() }
        var gen = SystemRandomNumberGenerator()
        let junk = try ws.write("junk.vplay", bytes: (0..<65536).map { _ in UInt8.random(in: 0...255, using: &gen) })
        let empty = try ws.write("empty.vplay", "")
        for file in [junk, empty] {
            for command in [["replay", file], ["replay", file, "--json"], ["inspect", file], ["inspect", file, "--json"]] {
                expectCleanError(try VPlay.run(command, timeout: 30), command.joined(separator: " "))
            }
        }
    }

    @Test("truncated and corrupted bundles")
    func damagedBundles() throws {
        let ws = try Workspace("damaged")
        defer { ws.remove() }
        try Prerequisites.require()
        let program = try ws.compile("file_input")
        let input = try ws.write("input.txt", "damage me\n")
        let rec = try VPlay.record([program, input], in: ws)
        let bundle = try #require(try ws.bundles().first, "could not record a bundle to damage:\n\(rec)")
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: bundle)))
        try #require(bytes.count > 4096, "bundle is implausibly small (\(bytes.count) bytes)")

        // Cut in half.
        let truncated = try ws.write("truncated.vplay", bytes: Array(bytes[..<(bytes.count / 2)]))
        // Flip 32 bytes spread over ~1.3 KiB in the middle (more than a tar block, so some
        // of them land in checksummed data whatever the layout).
        var flipped = bytes
        for k in 0..<32 { flipped[bytes.count / 2 + k * 41] ^= 0xA5 }
        let corrupted = try ws.write("corrupted.vplay", bytes: flipped)

        for (label, file) in [("truncated", truncated), ("corrupted", corrupted)] {
            expectCleanError(try VPlay.run(["replay", file], timeout: 60), "replay of a \(label) bundle")
            expectCleanError(try VPlay.run(["replay", file, "--json"], timeout: 60), "replay --json of a \(label) bundle")
        }
        // inspect reads and checks the whole bundle, so it reports damage anywhere.
        expectCleanError(try VPlay.run(["inspect", truncated, "--json"], timeout: 60), "inspect of a truncated bundle")
        expectCleanError(try VPlay.run(["inspect", corrupted, "--json"], timeout: 60), "inspect of a corrupted bundle")
        // verify: 0 for an intact bundle, 1 naming what is wrong, 2 for a missing file.
        let good = try VPlay.run(["verify", bundle], timeout: 60)
        #expect(good.exitCode == 0 && good.stdout.contains("ok"), "verify of an intact bundle:\n\(good)")
        for (label, file) in [("truncated", truncated), ("corrupted", corrupted)] {
            let v = try VPlay.run(["verify", file, "--json"], timeout: 60)
            #expect(v.exitCode == 1, "verify of a \(label) bundle must exit 1:\n\(v)")
            let problems = try JSON.parse(v.stdout)["problems"]
            #expect(problems != nil && !v.stdout.contains("\"problems\":[]"), "verify must name the problem:\n\(v)")
        }
        expectCleanError(try VPlay.run(["verify", ws.path("missing.vplay")], timeout: 30), "verify of a missing file")
        // list: every bundle of the directory, the damaged ones marked unreadable, no crash.
        let listed = try VPlay.run(["list", ws.root, ws.bundleDirectory], timeout: 60)
        #expect(listed.exitCode == 0, "\(listed)")
        #expect(listed.stdout.contains((bundle as NSString).lastPathComponent) && listed.stdout.contains("SIGSEGV"), "\(listed)")
        #expect(listed.stdout.contains("unreadable"), "damaged bundles are listed as unreadable:\n\(listed)")
        // inspect decodes the last kernel interactions from the syscall table, strace-like.
        let human = try VPlay.run(["inspect", bundle, "--syscalls", "all"], timeout: 60)
        #expect(human.exitCode == 0, "\(human)")
        #expect(human.stdout.contains("openat(AT_FDCWD, \"\(input)\", O_RDONLY"), "the input file's open is decoded:\n\(human.stdout)")
        #expect(human.stdout.contains("read(3, \"damage me\\n\", "), "the read and its data are decoded:\n\(human.stdout)")
        #expect(human.stdout.contains("SEGV_MAPERR: address not mapped"), "the si_code is explained:\n\(human.stdout)")
        #expect(human.stdout.contains("memory map at window start") && human.stdout.contains("[stack]"),
                "the memory map with saved sizes is shown:\n\(human.stdout)")
        let byThread = try VPlay.run(["inspect", bundle, "--json", "--syscalls", "5", "--thread", "1"], timeout: 60)
        #expect(byThread.exitCode == 0 && byThread.stdout.contains("recentSyscalls") && !byThread.stdout.contains("\"call\""),
                "no interactions for a thread that does not exist:\n\(byThread.stdout)")
        // The undamaged original is still fine.
        _ = try VPlay.inspect(bundle)
    }

    @Test("bad arguments")
    func badArguments() throws {
        _ = try Locations.vplayBundle()
        let cases: [[String]] = [
            ["no-such-subcommand"],
            ["replay"],                                  // missing BUNDLE
            ["inspect"],
            ["record"],                                  // missing COMMAND
            ["record", "--"],
            ["record", "--window", "abc", "--", "/bin/true"],
            ["record", "--window", "-1", "--", "/bin/true"],
            ["record", "--on-exit-code", "x", "--", "/bin/true"],
            ["replay", "a.vplay", "--no-such-flag"],
        ]
        for args in cases {
            let r = try VPlay.run(args, cwd: "/tmp", timeout: 30)
            expectCleanError(r, "vplay-bundle \(args.joined(separator: " "))")
        }
    }
}

extension EndToEndTests {
    /// The harness itself: a hung command and what it started are killed at the timeout,
    /// by the process group the harness created for it (never by name).
    @Test("the test watchdog kills a hung command and its children")
    func watchdog() throws {
        let r = try runProcess("/bin/sh", ["-c", "sleep 300 & echo $!; wait"], timeout: 1)
        #expect(r.timedOut)
        #expect(r.signal == SIGKILL, "\(r)")
        let child = try #require(pid_t(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r)")
        usleep(200_000)
        // Gone, or a zombie waiting for init to reap it: in no case still sleeping.
        let state = (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        #expect(state == nil || state == "Z" || state == "X", "background child \(child) survived: state \(state ?? "-")")
    }
}

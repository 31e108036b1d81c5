// End-to-end tests: compile each C example in examples/, record it with
// `vplay-bundle record`, check the bundle with `inspect --json`, delete the program and
// its inputs, and check that `replay --json` reproduces the recorded end.
//
// One serialized suite: recordings pin to a CPU and some tests measure time windows, so
// nothing here runs in parallel with anything else in this suite. Every test has a hard
// time limit, and every process a test starts has its own watchdog (see runProcess).

import Foundation
import Testing
import VPlayTestSupport

#if canImport(Glibc)
import Glibc
#endif

@Suite("record, inspect and replay the C examples", .serialized, .timeLimit(.minutes(5)), .leakChecked)
struct EndToEndTests {}

// MARK: - Single-process crashes

extension EndToEndTests {
    @Test("file input (dynamic): crash address from read() data")
    func fileInput() throws {
        let ws = try Workspace("file_input")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "hello world\n")
        try runScenario("file_input", in: ws, arguments: [input], inputs: [input],
                        status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("file input (static binary)")
    func fileInputStatic() throws {
        let ws = try Workspace("file_input_static")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "a statically linked program reads this\n")
        try runScenario("file_input", in: ws, staticBuild: true, arguments: [input], inputs: [input],
                        status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("vDSO clock_gettime/gettimeofday (dynamic)")
    func vdsoTime() throws {
        let ws = try Workspace("vdso_time")
        defer { ws.remove() }
        try runScenario("vdso_time", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("vDSO clock_gettime/gettimeofday (static binary)")
    func vdsoTimeStatic() throws {
        let ws = try Workspace("vdso_time_static")
        defer { ws.remove() }
        try runScenario("vdso_time", in: ws, staticBuild: true, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("rdtsc values decide the crash address")
    func rdtsc() throws {
        let ws = try Workspace("rdtsc")
        defer { ws.remove() }
        try runScenario("rdtsc", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("getrandom and /dev/urandom decide the crash address")
    func random() throws {
        let ws = try Workspace("random")
        defer { ws.remove() }
        try runScenario("random", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("mmap'd file content decides the crash address")
    func mmapFile() throws {
        let ws = try Workspace("mmap_file")
        defer { ws.remove() }
        let input = try ws.write("mapped.txt", String(repeating: "mapped file content; ", count: 500))
        try runScenario("mmap_file", in: ws, arguments: [input], inputs: [input],
                        status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("a SIGSEGV handler on a sigaltstack set before the window, re-raising the signal")
    func alternateSignalStack() throws {
        let ws = try Workspace("altstack")
        defer { ws.remove() }
        try runScenario("altstack", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV),
                        options: ["--window", "0.001"], window: 0.001)
    }

    @Test("failed assert on a value from a file: SIGABRT")
    func assertAbort() throws {
        let ws = try Workspace("assert_abort")
        defer { ws.remove() }
        let input = try ws.write("value.txt", "40\n")
        try runScenario("assert_abort", in: ws, arguments: [input], inputs: [input],
                        status: 128 + SIGABRT, ending: .signal(SIGABRT))
    }

    @Test("SIGALRM from setitimer lands in a syscall-free loop")
    func itimerSignal() throws {
        let ws = try Workspace("itimer_signal")
        defer { ws.remove() }
        try runScenario("itimer_signal", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("60 SIGALRMs, one every 2 ms, land in a syscall-free loop: three recordings, each verified and replayed to its own crash")
    func alarmStorm() throws {
        let addresses = try faultAddressesOfRuns("alarm_storm") { ws, run in
            let outcome = try runScenario("alarm_storm", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
            let log = try #require(outcome.manifests.first?["log.signals"]?.int)
            #expect(log >= 61, "60 SIGALRMs and the SIGSEGV must be in the log: \(outcome.manifests.map(\.brief))")
            return outcome
        }
        // The address comes from where the signals landed, which differs from run to run.
        #expect(addresses.count >= 2, "three runs crashed at the same address: the signals' places did not matter")
    }

    @Test("40 SIGALRMs land inside `rep movsb` copies, between two iterations: three recordings, each verified and replayed to its own crash")
    func stringCopySignals() throws {
        let addresses = try faultAddressesOfRuns("string_copy_signals") { ws, run in
            let outcome = try runScenario("string_copy_signals", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
            let inside = outcome.record.stdout.firstMatch(of: /([0-9]+) inside a copy/).flatMap { Int($0.1) } ?? 0
            #expect(inside >= 10, "most signals must land inside a copy: \(outcome.record.stdout)")
            return outcome
        }
        // The address comes from how far each copy had got, which differs from run to run.
        #expect(addresses.count >= 2, "three runs crashed at the same address: the signals' places did not matter")
    }

    @Test("exit code 3 is recorded only with --on-exit-code 3")
    func exitCode() throws {
        let ws = try Workspace("exit_code")
        defer { ws.remove() }
        try Prerequisites.require()
        let input = try ws.write("code.txt", "3\n")

        // Without --on-exit-code, exit 3 is a normal end: no bundle.
        let program = try ws.compile("exit_code")
        let plain = try VPlay.record([program, input], in: ws)
        #expect(plain.exitCode == 3, "record must exit with the command's status:\n\(plain)")
        #expect(try ws.bundles().isEmpty, "no bundle without --on-exit-code:\n\(plain)")
        #expect(!plain.stderr.contains("vplay: wrote bundle"), "\(plain)")

        // With it, exit 3 is abnormal: one bundle, crash.signal null, crash.exitCode 3.
        let outcome = try runScenario(
            "exit_code", in: ws, arguments: [input], inputs: [input],
            status: 3, ending: .exitCode(3), options: ["--on-exit-code", "3"],
            bundleOwnerPID: { rec in
                guard let r = rec.stdout.range(of: #"pid [0-9]+ "#, options: .regularExpression) else { return nil }
                return pid_t(rec.stdout[r].split(separator: " ")[1])
            })
        #expect(outcome.manifests.first?["crash.faultAddress"].map { $0.isNull } ?? true,
                "an exit has no fault address: \(outcome.manifests.map(\.brief))")
    }
}

// MARK: - Replay side effects and output

extension EndToEndTests {
    @Test("replay does not recreate a file the recording wrote")
    func writesFile() throws {
        let ws = try Workspace("writes_file")
        defer { ws.remove() }
        let target = ws.path("written.txt")
        // The file is listed as an input, so it is deleted before replay.
        try runScenario(
            "writes_file", in: ws, arguments: [target], inputs: [target],
            status: 128 + SIGSEGV, ending: .signal(SIGSEGV),
            beforeReplay: { rec, bundle in
                // The recorded process (the bundle's pid) really wrote the file.
                let pid = URL(fileURLWithPath: bundle).lastPathComponent.split(separator: "-")[1]
                let content = try String(contentsOfFile: target, encoding: .utf8)
                #expect(content.contains("written by pid \(pid) "), "\(target) was not written by the recording:\n\(content)")
            })
        #expect(!FileManager.default.fileExists(atPath: target),
                "replay must not touch the file system, but \(target) exists again")
    }

    @Test("replay --echo prints what the program wrote to stdout")
    func replayEcho() throws {
        let ws = try Workspace("echo")
        defer { ws.remove() }
        try Prerequisites.require()
        let program = try ws.compile("file_input")
        let input = try ws.write("input.txt", "echo me\n")
        let rec = try VPlay.record([program, input], in: ws)
        #expect(rec.exitCode == 128 + SIGSEGV, "\(rec)")
        let line = try #require(rec.stdout.split(separator: "\n").first { $0.hasPrefix("file_input: read") },
                                "the recorded program's stdout is missing:\n\(rec)")
        let bundle = try #require(try ws.bundles().first, "no bundle:\n\(rec)")
        try ws.delete([program, input])
        let echo = try VPlay.run(["replay", bundle, "--echo"], cwd: ws.replayDirectory)
        #expect(echo.exitCode == 0, "\(echo)")
        #expect(echo.stdout.contains(line), "replay --echo must print the program's output \"\(line)\":\n\(echo)")
    }
}

// The BPF recording path (`record --path bpf`): the kernel's BPF logger writes the syscall log,
// ptrace stops only for events, signals and the calls the logger stops for the
// tracer. Each example must end as natively, give a verified bundle that replays, and say so.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    /// runScenario on the BPF path; the manifest and the text report must name the path.
    @discardableResult
    private func bpfScenario(
        _ example: String, in ws: Workspace, arguments: [String] = [], inputs: [String] = [],
        status: Int32, ending: Ending, options: [String] = [], window: Double = 2, nativeRun: Bool = true,
        bundleOwnerPID: ((ProcessResult) -> pid_t?)? = nil, build: ((Workspace) throws -> String)? = nil
    ) throws -> ScenarioOutcome {
        let outcome = try runScenario(example, in: ws, arguments: arguments, inputs: inputs, status: status,
                                      ending: ending, options: ["--path", "bpf"] + options, window: window,
                                      nativeRun: nativeRun, bundleOwnerPID: bundleOwnerPID, beforeReplay: { rec, bundle in
            #expect(!rec.stderr.contains("cannot be used"), "the BPF path must load here (root, BTF):\n\(rec.stderr)")
            let text = try VPlay.run(["inspect", bundle])
            #expect(text.stdout.contains("recorded  on the bpf path"), "inspect must name the path:\n\(text.stdout)")
        }, build: build)
        for manifest in outcome.manifests {
            #expect(manifest["recording.path"]?.string == "bpf", "recording.path: \(manifest.brief)")
        }
        return outcome
    }

    @Test("bpf path: a Go program (goroutines on four threads, the runtime's SIGURG preemptions, a nil-pointer panic with exit status 2) replays; 3 runs, each verified")
    func bpfGoPanic() throws {
        let addresses = try faultAddressesOfRuns("bpf_go_panic") { ws, _ in
            let outcome = try bpfScenario("go_panic", in: ws, status: 2, ending: .exitCode(2), options: ["--on-exit-code", "2"],
                                          build: { try $0.buildGo("go_panic") })
            let manifest = try #require(outcome.manifests.first)
            #expect(manifest["verified"]?.bool == true, "the trial replay reproduced the panic: \(manifest.brief)")
            #expect((manifest["log.signals"]?.int ?? 0) > 0 && (manifest["log.preemptions"]?.int ?? 0) > 0,
                    "the runtime's preemption signals and the kernel's preemptions are in the log: \(manifest.brief)")
            return outcome
        }
        #expect(addresses.isEmpty, "a panic, not a fault: \(addresses)")
    }

    @Test("bpf path: a 64 KiB read (truncated in BPF) and a copy from a page not resident are read by the tracer at a stop; verified")
    func bpfIncompleteEventsAreFetched() throws {
        let ws = try Workspace("bpf_incomplete")
        defer { ws.remove() }
        // A pattern whose checksum changes if any part of the 64 KiB were missing.
        let bytes = (0 ..< 65536).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let input = ws.path("input.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let outcome = try bpfScenario("incomplete_events", in: ws, arguments: [input], inputs: [input],
                                      status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
        let manifest = try #require(outcome.manifests.first)
        #expect(manifest["warnings"]?.array?.isEmpty == true, "no event may stay incomplete: \(manifest.brief)")
        let bundle = try #require(outcome.bundles.first)
        let calls = try inspectJSON(bundle, ["--syscalls", "all"])["recentSyscalls"]?.array ?? []
        let read = calls.first { $0[key: "name"]?.string == "read" && $0[key: "call"]?.string?.hasSuffix("= 65536") == true }
        #expect(read != nil, "the 64 KiB read is in the log: \(calls.compactMap { $0[key: "call"]?.string })")
    }

    @Test("bpf path: file input, a crash address from read() data")
    func bpfFileInput() throws {
        let ws = try Workspace("bpf_file_input")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "hello world, logged by the kernel\n")
        try bpfScenario("file_input", in: ws, arguments: [input], inputs: [input], status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("bpf path: a crash three calls deep")
    func bpfNestedCalls() throws {
        let ws = try Workspace("bpf_nested_calls")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "record 17: the checksum of this line decides where it crashes\n")
        try bpfScenario("nested_calls", in: ws, arguments: [input], inputs: [input], status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("bpf path: mmap of a file stops the tracer, which logs the file's contents")
    func bpfMmapFile() throws {
        let ws = try Workspace("bpf_mmap_file")
        defer { ws.remove() }
        let input = try ws.write("mapped.txt", String(repeating: "mapped file content; ", count: 500))
        try bpfScenario("mmap_file", in: ws, arguments: [input], inputs: [input], status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("bpf path: fork + pipe, the child's bundle replays alone, the parent exits 0")
    func bpfForkPipe() throws {
        let ws = try Workspace("bpf_fork_pipe")
        defer { ws.remove() }
        let outcome = try bpfScenario("fork_pipe", in: ws, status: 0, ending: .signal(SIGSEGV),
                                      bundleOwnerPID: { childPID(in: $0.stdout) })
        #expect(outcome.record.stdout.contains("killed by signal 11"), "\(outcome.record)")
    }

    @Test("bpf path: a worker thread crashes while main waits in pthread_join")
    func bpfThreads() throws {
        let ws = try Workspace("bpf_threads")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "bytes for the worker thread\n")
        try bpfScenario("threads", in: ws, arguments: [input], inputs: [input], status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("bpf path: exit code 3 with --on-exit-code 3")
    func bpfExitCode() throws {
        let ws = try Workspace("bpf_exit_code")
        defer { ws.remove() }
        let input = try ws.write("code.txt", "3\n")
        try bpfScenario("exit_code", in: ws, arguments: [input], inputs: [input], status: 3, ending: .exitCode(3),
                        options: ["--on-exit-code", "3"])
    }

    @Test("bpf path: SIGALRM lands in a syscall-free loop (placed by registers and memory fingerprint; this path logs no CPU time)")
    func bpfItimerSignal() throws {
        let ws = try Workspace("bpf_itimer")
        defer { ws.remove() }
        try bpfScenario("itimer_signal", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("bpf path: two threads race on shared counters without syscalls; each preemption is logged, and three recordings each replay, verified, to their own crash")
    func bpfLockFreeRace() throws {
        let addresses = try faultAddressesOfRuns("bpf_race") { ws, run in
            let outcome = try bpfScenario("race_hash", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
            let m = try #require(outcome.manifests.first)
            #expect((m["log.preemptions"]?.int ?? 0) >= 2, "the threads must have been switched in user mode: \(m.brief)")
            #expect(m["recording.schedule"]?.string == "full", "recording.schedule: \(m.brief)")
            return outcome
        }
        // The hash depends on where the threads were switched, which differs from run to run.
        #expect(addresses.count >= 2, "three runs crashed at the same address: the interleaving did not matter")
    }

    @Test("bpf path: two threads `rep movsb` into one buffer and are preempted part-way through copies; three recordings each replay, verified, to their own crash")
    func bpfStringCopyRace() throws {
        let addresses = try faultAddressesOfRuns("bpf_string_copy_race") { ws, run in
            let outcome = try bpfScenario("string_copy_race", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
            let m = try #require(outcome.manifests.first)
            #expect((m["log.preemptions"]?.int ?? 0) >= 2, "the copies must have been preempted: \(m.brief)")
            return outcome
        }
        #expect(addresses.count >= 2, "three runs crashed at the same address: where the copies were switched did not matter")
    }

    @Test("bpf path: two producers and two consumers through a mutex and condition variables; three recordings each replay, verified")
    func bpfProducerConsumer() throws {
        let addresses = try faultAddressesOfRuns("bpf_producer_consumer") { ws, run in
            try bpfScenario("producer_consumer", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
        }
        #expect(!addresses.isEmpty)
    }

    @Test("bpf path: a thread crashes at an address from where two spinning threads stood; three recordings each replay, verified")
    func bpfSpinCrash() throws {
        let addresses = try faultAddressesOfRuns("bpf_spin_crash") { ws, run in
            let outcome = try bpfScenario("spin_crash", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
            let m = try #require(outcome.manifests.first)
            #expect((m["log.preemptions"]?.int ?? 0) >= 2, "the spinners must have been preempted: \(m.brief)")
            #expect(m["crash.tid"]?.int != m["process.pid"]?.int, "the crashing thread is not the main thread: \(m.brief)")
            return outcome
        }
        #expect(addresses.count >= 2, "three runs crashed at the same address: where the spinners stood did not matter")
    }

    @Test("bpf path: SIGCHLD and SIGINT arrive while three threads block in read, a condition wait and nanosleep; three recordings each replay, verified")
    func bpfSignalsWhileThreadsBlock() throws {
        let addresses = try faultAddressesOfRuns("bpf_signals_blocked") { ws, run in
            let outcome = try bpfScenario("signals_blocked", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: run == 1)
            let m = try #require(outcome.manifests.first)
            // Six children's SIGCHLD may merge into fewer (one pending at a time), then the SIGINT and the SIGSEGV.
            #expect((m["log.signals"]?.int ?? 0) >= 3, "SIGCHLD, SIGINT and the SIGSEGV: \(m.brief)")
            return outcome
        }
        #expect(!addresses.isEmpty)
    }

    @Test("bpf path: a program that moves itself off the recording CPU gets a bundle that says its schedule is not full")
    func bpfOwnAffinity() throws {
        // Its threads may run side by side, so its bundle need not replay: only what it says is checked.
        let ws = try Workspace("bpf_own_affinity")
        defer { ws.remove() }
        try Prerequisites.require()
        let program = try ws.compile("own_affinity")
        let rec = try VPlay.record([program], in: ws, options: ["--path", "bpf"])
        #expect(rec.exitCode == 128 + SIGSEGV, "record must end as the program did:\n\(rec)")
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "\(rec)")
        let m = try VPlay.inspect(bundles[0])
        #expect(m["recording.schedule"]?.string == "syscalls", "recording.schedule: \(m.brief)")
        let warnings = m["warnings"]?.array?.compactMap(\.string) ?? []
        #expect(warnings.contains { $0.contains("CPU affinity") }, "warnings: \(warnings)")
        let text = try VPlay.run(["inspect", bundles[0]])
        #expect(text.stdout.contains("thread switches between syscalls not logged"), "inspect must say so:\n\(text.stdout)")
    }

    @Test("bpf path: 60 SIGALRMs in a syscall-free loop are placed by registers and memory fingerprint; verified")
    func bpfAlarmStorm() throws {
        let ws = try Workspace("bpf_alarm_storm")
        defer { ws.remove() }
        let outcome = try bpfScenario("alarm_storm", in: ws, status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
        #expect((outcome.manifests.first?["log.signals"]?.int ?? 0) >= 61, "\(outcome.manifests.map(\.brief))")
    }

    @Test("bpf path: windows rotate at interrupts while the process makes no syscalls")
    func bpfRotation() throws {
        let ws = try Workspace("bpf_cpu_bound")
        defer { ws.remove() }
        let outcome = try bpfScenario("cpu_bound", in: ws, arguments: ["3"], status: 128 + SIGSEGV, ending: .signal(SIGSEGV),
                                      options: ["--window", "1"], window: 1, nativeRun: false)
        let m = try #require(outcome.manifests.first)
        #expect(m["window.startReason"]?.string == "rotation", "the bundle's window must start at a rotation: \(m.brief)")
    }

    @Test("the default path is bpf (VPLAY_RECORDING_PATH names another), --no-bpf is ptrace, and the manifest says which")
    func defaultPath() throws {
        let ws = try Workspace("path_default"), other = try Workspace("path_no_bpf")
        defer { ws.remove(); other.remove() }
        let input = try ws.write("input.txt", "recorded the default way\n")
        let expected = ProcessInfo.processInfo.environment["VPLAY_RECORDING_PATH"] ?? "bpf"
        let byDefault = try runScenario("file_input", in: ws, arguments: [input], inputs: [input],
                                        status: 128 + SIGSEGV, ending: .signal(SIGSEGV), nativeRun: false)
        #expect(byDefault.manifests.first?["recording.path"]?.string == expected, "\(byDefault.manifests.map(\.brief))")
        let otherInput = try other.write("input.txt", "recorded the old way\n")
        let ptrace = try runScenario("file_input", in: other, arguments: [otherInput], inputs: [otherInput],
                                     status: 128 + SIGSEGV, ending: .signal(SIGSEGV), options: ["--no-bpf"], nativeRun: false)
        #expect(ptrace.manifests.last?["recording.path"]?.string == "ptrace", "\(ptrace.manifests.map(\.brief))")
    }
}

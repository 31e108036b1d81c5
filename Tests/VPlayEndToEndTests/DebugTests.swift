// `vplay-bundle debug`: the real gdb, in batch mode, against the replay of a recorded crash of
// examples/bad_pointer.c and, for threads, examples/thread_switches.c (built with -g -O0); the
// program is deleted before gdb starts, so everything gdb knows comes from the bundle.

import Foundation
import Testing
import VPlayBundle

#if canImport(Glibc)
import Glibc
#endif

/// A recorded bad_pointer crash whose program and sources' binary are gone.
struct DebugFixture {
    let ws: Workspace
    let bundle: String
    let crashPC: UInt64

    /// What `record` printed.
    let recordOutput: String

    init(_ name: String, example: String = "bad_pointer", options: [String] = []) throws {
        try Prerequisites.require()
        let gdb = try runProcess("gdb", ["--version"], timeout: 30)
        try #require(gdb.exitCode == 0, "gdb is not installed (apt-get install -y gdb)")
        ws = try Workspace(name)
        let program = try ws.compile(example, extraFlags: ["-O0"])
        let rec = try VPlay.record([program], in: ws, options: options)
        try #require(rec.exitCode == 128 + SIGSEGV, "\(rec)")
        recordOutput = rec.stdout
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "\(rec)")
        bundle = bundles[0]
        crashPC = try #require(try VPlay.inspect(bundle)["crash.pc"]?.uint64)
        try ws.delete([program])
    }

    /// gdb -batch with `commands`, connected through `target remote | vplay-bundle debug --stdio`.
    func gdb(_ commands: [String], timeout: Double = 120) throws -> String {
        let target = "target remote | \(try Locations.vplayBundle()) debug --stdio \(bundle)"
        let r = try runProcess("gdb", ["-batch", "-nx", "-ex", "set pagination off", "-ex", "set remotetimeout 30", "-ex", target]
                               + commands.flatMap { ["-ex", $0] }, cwd: ws.replayDirectory, timeout: timeout)
        #expect(!r.timedOut, "gdb timed out:\n\(r)")
        return r.stdout + r.stderr
    }
}

extension EndToEndTests {
    @Test("gdb: symbols from the bundle, breakpoints, next/step/stepi/finish, locals, registers, threads, the recorded end")
    func gdbForward() throws {
        let f = try DebugFixture("gdb_forward")
        defer { f.ws.remove() }
        let out = try f.gdb(["info sharedlibrary", "break compute", "continue", "bt", "print x", "print global_counter",
                             "next", "step", "print y", "stepi", "info registers rip", "x/8gx $sp", "finish",
                             "info threads", "delete", "continue", "print/x $pc", "bt"])
        #expect(out.range(of: #"Yes\s+target:\S*libc\.so\.6"#, options: .regularExpression) != nil, "info sharedlibrary must list libc with symbols:\n\(out)")
        #expect(out.contains("Breakpoint 1, compute (x=0) at"), "break compute + continue:\n\(out)")
        #expect(out.range(of: #"#1 .* in main \(\) at .*bad_pointer\.c:30"#, options: .regularExpression) != nil, "bt:\n\(out)")
        #expect(out.contains("$1 = 0") && out.contains("$2 = 0"), "locals and globals as recorded:\n\(out)")
        #expect(out.contains("$3 = 1"), "print y after next/step: y = 0*2+1:\n\(out)")
        #expect(out.range(of: #"rip\s+0x[0-9a-f]+\s+0x[0-9a-f]+ <compute\+\d+>"#, options: .regularExpression) != nil, "info registers rip:\n\(out)")
        #expect(out.range(of: #"0x7ff[0-9a-f]+:\s+0x[0-9a-f]{16}\s+0x[0-9a-f]{16}"#, options: .regularExpression) != nil, "x/8gx $sp:\n\(out)")
        #expect(out.contains("Value returned is"), "finish:\n\(out)")
        #expect(out.range(of: #"\* 1\s+Thread \d+"#, options: .regularExpression) != nil, "info threads:\n\(out)")
        #expect(out.contains("Program received signal SIGSEGV"), "continue to the end:\n\(out)")
        #expect(out.contains("0x" + String(f.crashPC, radix: 16)), "the end is at the recorded pc 0x\(String(f.crashPC, radix: 16)):\n\(out)")
        #expect(out.range(of: #"main \(\) at .*bad_pointer\.c:37"#, options: .regularExpression) != nil, "bt at the crash:\n\(out)")
    }

    @Test("gdb on a multi-threaded bundle: info threads, thread N, a breakpoint the threads hit, continue to the crash, reverse-continue across thread switches")
    func gdbAcrossThreadSwitches() throws {
        // The bpf path records the schedule: where the kernel preempted the spinning threads.
        let f = try DebugFixture("gdb_threads", example: "thread_switches", options: ["--path", "bpf"])
        defer { f.ws.remove() }
        let manifest = try VPlay.inspect(f.bundle)
        #expect((manifest["log.preemptions"]?.int ?? 0) > 0, "the threads must have been preempted in their loops: \(manifest.brief)")
        let last = try #require(f.recordOutput.firstMatch(of: /last note (\d+)/).flatMap { Int($0.1) }, "\(f.recordOutput)")
        let out = try f.gdb(["break note", "continue", "info threads", "thread 1", "bt 1", "delete", "continue",
                             "print last_note", "break note", "reverse-continue", "print id*100+round",
                             "reverse-continue", "print id*100+round", "continue", "print id*100+round", "delete", "continue"])
        let hits = out.matches(of: /Thread (\d+) hit Breakpoint \d+, note \(id=(\d+), round=(\d+)\)/)
            .map { (thread: Int($0.1) ?? 0, note: (Int($0.2) ?? 0) * 100 + (Int($0.3) ?? 0)) }
        let printed = out.matches(of: /\$\d+ = (\d+)/).compactMap { Int($0.1) }
        try #require(hits.count == 4 && printed.count == 4, "four breakpoint stops and four values:\n\(out)")
        #expect(hits[0].thread != 1, "the first note() is a worker's:\n\(out)")
        #expect(out.range(of: #"\n\s+1\s+Thread \d+ .*\n\* \d+\s+Thread \d+ .*note \(id="#, options: .regularExpression) != nil,
                "info threads lists main and the worker at its breakpoint:\n\(out)")
        #expect(out.contains("[Switching to thread 1 (Thread"), "thread 1:\n\(out)")
        #expect(out.contains("Thread 1 received signal SIGSEGV") || out.contains("Program received signal SIGSEGV"), "continue to the crash:\n\(out)")
        #expect(out.range(of: "0x0*" + String(f.crashPC, radix: 16) + " in main", options: .regularExpression) != nil, "the crash at the recorded pc:\n\(out)")
        #expect(printed[0] == last, "last_note at the crash is what the recorded program printed (\(last)):\n\(out)")
        #expect(hits[1].note == last && printed[1] == last, "reverse-continue from the crash in main stops at the last note(), a worker's:\n\(out)")
        #expect(hits[2].note != last && printed[2] == hits[2].note, "reverse-continue again: the note() before it:\n\(out)")
        #expect(hits[3].note == last && printed[3] == last, "continue forward from there reaches the last note() again:\n\(out)")
        #expect(out.components(separatedBy: "received signal SIGSEGV").count == 3, "and the crash again:\n\(out)")
    }

    @Test("gdb: a hardware watchpoint stops where the variable changed")
    func gdbWatchpoint() throws {
        let f = try DebugFixture("gdb_watch")
        defer { f.ws.remove() }
        let out = try f.gdb(["watch global_counter", "continue", "continue", "bt 1"])
        #expect(out.contains("Hardware watchpoint 1: global_counter"), "\(out)")
        #expect(out.contains("Old value = 0\nNew value = 1"), "the first change, in compute(0):\n\(out)")
        #expect(out.contains("Old value = 1\nNew value = 4"), "the second change, in compute(1):\n\(out)")
        #expect(out.contains("compute (x=1)"), "\(out)")
    }

    @Test("gdb: reverse-continue with a watchpoint from the crash stops at the write of the bad pointer; reverse-step/next/stepi")
    func gdbReverse() throws {
        let f = try DebugFixture("gdb_reverse")
        defer { f.ws.remove() }
        let out = try f.gdb(["continue", "print current->slot", "watch -l current->slot", "reverse-continue",
                             "print value", "print/x $pc", "reverse-stepi", "print/x $pc", "reverse-next", "bt 1",
                             "reverse-step", "bt 1", "delete", "break compute", "reverse-continue", "print x",
                             "reverse-continue", "print x", "continue", "print x"])
        #expect(out.contains("Program received signal SIGSEGV"), "\(out)")
        #expect(out.contains("$1 = (long *) 0x9018"), "the bad pointer at the crash:\n\(out)")
        #expect(out.contains("Old value = (long *) 0x9018"), "going back, the watchpoint shows the bad value replaced:\n\(out)")
        #expect(out.range(of: #"install \(r=0x[0-9a-f]+, value=36891\) at .*bad_pointer\.c:21"#, options: .regularExpression) != nil,
                "reverse-continue must stop at the write in install():\n\(out)")
        #expect(out.contains("$2 = 36891"), "\(out)")
        let pcs = out.matches(of: /\$[34] = (0x[0-9a-f]+)/).map { UInt64($0.1.dropFirst(2), radix: 16) ?? 0 }
        #expect(pcs.count == 2 && pcs[1] < pcs[0], "reverse-stepi goes one instruction back: \(pcs)\n\(out)")
        #expect(out.range(of: #"main \(\) at .*bad_pointer\.c:34"#, options: .regularExpression) != nil, "reverse-step leaves install() into main:\n\(out)")
        #expect(out.contains("Breakpoint 2, compute (x=2)") && out.contains("$5 = 2"), "reverse-continue to the last call of compute:\n\(out)")
        #expect(out.contains("compute (x=1)") && out.contains("$6 = 1"), "and to the one before:\n\(out)")
        #expect(out.contains("$7 = 2"), "continue forward again from there reaches compute(2):\n\(out)")
    }

    @Test("gdb: reverse-stepi from the crash goes back instruction by instruction, stepi forward again")
    func gdbStepsAroundTheCrash() throws {
        let f = try DebugFixture("gdb_crash_steps")
        defer { f.ws.remove() }
        let out = try f.gdb(["continue", "print/x $pc", "reverse-stepi", "print/x $pc", "reverse-stepi", "print/x $pc",
                             "stepi", "print/x $pc", "stepi", "print/x $pc"])
        let pcs = out.matches(of: /\$\d+ = 0x([0-9a-f]+)/).compactMap { UInt64($0.1, radix: 16) }
        try #require(pcs.count == 5, "\(out)")
        #expect(pcs[0] == f.crashPC, "\(out)")
        #expect(pcs[2] < pcs[1] && pcs[1] < pcs[0], "each reverse-stepi goes one instruction back: \(pcs)")
        #expect(pcs[3] == pcs[1] && pcs[4] == pcs[0], "stepi retraces them: \(pcs)")
    }

    @Test("gdb: memory the bundle does not hold is an error, never invented bytes")
    func gdbMissingMemory() throws {
        let f = try DebugFixture("gdb_memory")
        defer { f.ws.remove() }
        let b = try BundleReader.read(path: f.bundle)
        let saved = Set(b.pages.flatMap { run in stride(from: run.address, to: run.address + UInt64(run.bytes.count), by: 4096) })
        // A window-start page of a library's data that the window never touched.
        let missing = try #require(b.state.mappings.lazy.filter { $0.path.contains("libc") || $0.path.contains("ld-linux") }
            .flatMap { m in stride(from: m.start, to: m.end, by: 4096) }
            .first { !saved.contains($0) }, "every library page is saved?")
        let present = try #require(saved.first { page in b.state.mappings.contains { $0.start <= page && page < $0.end && !$0.path.hasPrefix("[") } })
        let out = try f.gdb(["x/2gx 0x\(String(missing, radix: 16))", "x/2gx 0x\(String(present, radix: 16))"])
        #expect(out.contains("Cannot access memory at address 0x\(String(missing, radix: 16))"), "\(out)")
        #expect(out.range(of: "0x\(String(present, radix: 16))( <[^>]*>)?:\\s+0x[0-9a-f]+", options: .regularExpression) != nil,
                "a saved page reads:\n\(out)")
    }

    @Test("gdb: --gdb starts gdb connected over TCP; --port serves gdb on a port")
    func gdbLaunchModes() throws {
        let f = try DebugFixture("gdb_modes")
        defer { f.ws.remove() }
        let vplay = try Locations.vplayBundle()
        let launched = try runProcess(vplay, ["debug", "--gdb", f.bundle, "--gdb-arg=-batch", "--gdb-arg=-nx",
                                              "--gdb-arg=-ex", "--gdb-arg=continue", "--gdb-arg=-ex", "--gdb-arg=bt"],
                                      cwd: f.ws.replayDirectory, timeout: 120)
        let text = launched.stdout + launched.stderr
        #expect(launched.exitCode == 0, "\(launched)")
        #expect(text.contains("Program received signal SIGSEGV") && text.contains("bad_pointer.c:37"), "\(text)")

        // --port: the server prints its port; gdb connects to it.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: vplay)
        server.arguments = ["debug", "--port", "0", f.bundle]
        let errPipe = Pipe()
        server.standardError = errPipe
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() } }
        var announced = ""
        while !announced.contains("\n"), let chunk = try errPipe.fileHandleForReading.read(upToCount: 1), !chunk.isEmpty {
            announced += String(decoding: chunk, as: UTF8.self)
        }
        let port = try #require(announced.firstMatch(of: /listening on [0-9.]+:(\d+)/).map { String($0.1) }, "\(announced)")
        let out = try runProcess("gdb", ["-batch", "-nx", "-ex", "set remotetimeout 30", "-ex", "target remote :\(port)", "-ex", "break compute",
                                         "-ex", "continue", "-ex", "kill"], cwd: f.ws.replayDirectory, timeout: 120)
        #expect((out.stdout + out.stderr).contains("Breakpoint 1, compute (x=0)"), "\(out)")
    }
}

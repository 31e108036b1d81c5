// The real gdb, in batch mode, against the server over a live ptrace'd C program.

import Foundation
import Glibc
import Testing
import VPlayTestSupport
import VPlayGDB

@Suite(.serialized, .timeLimit(.minutes(3)), .needsGDB)
struct GDBEndToEndTests {
    @Test func prerequisitesArePresent() {
        #expect(Prerequisites.problem == nil, "\(Prerequisites.problem ?? "")")
    }

    /// The brief's session: break, continue, bt, print, registers, memory, next, step, finish,
    /// a watchpoint hit, info threads, and the final SIGSEGV.
    @Test func breakpointStepFinishWatchpointAndCrashOverTCP() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let program = try compileC(Debuggee.source, name: "prog", in: dir)
        let run = try runGDB(program: program, in: dir) { connect in
            batch([connect, "break compute", "continue", "bt", "print x", "print global_counter",
                   "info registers rip", "x/2gx $sp", "next", "step", "finish",
                   "watch global_counter", "continue", "info threads", "continue", "bt", "continue"], file: program)
        }
        let out = run.output
        let firstLine = Debuggee.line("compute first line")
        #expect(out.contains("Breakpoint 1, compute (x=41) at"), "\(out)")
        #expect(out.contains("\(firstLine)\t    int before = x + 1;"), "\(out)")
        #expect(out.range(of: #"#0 +compute \(x=41\) at .*prog\.c:\#(firstLine)"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.range(of: #"#1 +0x[0-9a-f]+ in main \(\) at .*prog\.c:\#(Debuggee.line("compute(41)"))"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("$1 = 41"), "\(out)")
        #expect(out.contains("$2 = 0"), "\(out)")
        #expect(out.range(of: #"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <compute\+\d+>"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.range(of: #"0x[0-9a-f]+:\s+0x[0-9a-f]{16}\s+0x[0-9a-f]{16}"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("\(Debuggee.line("compute calls helper"))\t    int result = helper(before);"), "\(out)")
        #expect(out.contains("helper (v=42) at"), "\(out)")
        #expect(out.range(of: #"0x[0-9a-f]+ in compute \(x=41\) at .*prog\.c:\#(Debuggee.line("compute calls helper"))"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("Value returned is $3 = 85"), "\(out)")
        #expect(out.contains("Hardware watchpoint 2: global_counter"), "\(out)")
        #expect(out.range(of: #"Old value = 0\s+New value = 85"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.range(of: #"\* 1 +Thread \d+"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("Program received signal SIGSEGV, Segmentation fault."), "\(out)")
        #expect(out.contains("\(Debuggee.line("crash line"))\t    *p = total;"), "\(out)")
        #expect(out.contains("Program terminated with signal SIGSEGV"), "\(out)")
        #expect(!out.contains("warning: while parsing"), "\(out)")
    }

    /// No program on the command line: gdb learns the path from qXfer:exec-file and reads the
    /// executable (and its libraries) through vFile.
    @Test func gdbFetchesExecutableAndSymbolsThroughVFile() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let program = try compileC(Debuggee.source, name: "fetched", in: dir)
        let run = try runGDB(program: program, in: dir) { connect in
            batch(["set sysroot target:", connect, "info inferiors", "break helper", "continue", "bt", "print v",
                   "info sharedlibrary"])
        }
        let out = run.output
        #expect(out.contains("Reading \(program) from remote target"), "\(out)")
        #expect(out.contains("Breakpoint 1, helper (v=42) at"), "\(out)")
        #expect(out.range(of: #"#1 +0x[0-9a-f]+ in compute \(x=41\)"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("$1 = 42"), "\(out)")
        #expect(out.range(of: #"libc\.so\.6"#, options: .regularExpression) != nil, "\(out)")
        #expect(!out.contains("No symbol table is loaded"), "\(out)")
    }

    /// `target remote | command`: the server on a plain pair of descriptors (FIFOs), as it
    /// runs on stdin/stdout.
    @Test func pipeCommandTransportRunsToTheCrash() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let program = try compileC(Debuggee.source, name: "piped", in: dir)
        let run = try runGDB(program: program, in: dir, transport: .pipeCommand) { connect in
            batch([connect, "break compute", "continue", "print x", "continue"], file: program)
        }
        let out = run.output
        #expect(out.contains("Breakpoint 1, compute (x=41)"), "\(out)")
        #expect(out.contains("$1 = 41"), "\(out)")
        #expect(out.contains("Program received signal SIGSEGV, Segmentation fault."), "\(out)")
    }

    /// Memory gdb cannot have: an error, not invented bytes; and writes through `set var`.
    @Test func unreadableMemoryIsAnErrorAndWritesLand() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let program = try compileC(Debuggee.source, name: "memory", in: dir)
        let run = try runGDB(program: program, in: dir) { connect in
            batch([connect, "break compute", "continue", "x/4xb 0", "set var x = 7", "print x",
                   "set var global_counter = 1000", "print global_counter", "print $rip = $rip",
                   "finish"], file: program)
        }
        let out = run.output
        #expect(out.contains("Cannot access memory at address 0x0"), "\(out)")
        #expect(out.contains("$1 = 7"), "\(out)")
        #expect(out.contains("$2 = 1000"), "\(out)")
        // compute(7): helper(8) = 17
        #expect(out.contains("Value returned is $4 = 17"), "\(out)")
    }

    /// Hardware breakpoints (Z1) and stepping by instruction.
    @Test func hardwareBreakpointAndInstructionStep() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let program = try compileC(Debuggee.source, name: "hbreak", in: dir)
        let run = try runGDB(program: program, in: dir) { connect in
            batch([connect, "break main", "continue", "hbreak helper", "continue", "stepi", "info registers rip",
                   "delete", "continue"], file: program)
        }
        let out = run.output
        #expect(out.contains("Hardware assisted breakpoint 2 at"), "\(out)")
        #expect(out.contains("Breakpoint 2, helper (v=42)"), "\(out)")
        #expect(out.range(of: #"rip +0x[0-9a-f]+ +0x[0-9a-f]+ <helper\+\d+>"#, options: .regularExpression) != nil, "\(out)")
        #expect(out.contains("Program received signal SIGSEGV"), "\(out)")
    }

    /// The interrupt byte stops a program spinning in a loop, through the real ptrace target.
    /// (gdb in batch mode does not process an asynchronous stop, so a raw client sends it.)
    @Test func interruptByteStopsASpinningProgram() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        let source = "volatile unsigned long spins;\nint main(void) {\n    for (;;) spins++;  /* spin */\n}\n"
        let program = try compileC(source, name: "spin", in: dir)
        let target = try LiveProcessTarget.launch([program])
        defer { target.end() }
        var sv: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &sv) == 0 else { throw TestFailure("socketpair: errno \(errno)") }
        let client = sv[1]
        defer { close(client) }
        Thread.detachNewThread {
            let send = { (bytes: [UInt8]) in _ = bytes.withUnsafeBytes { write(client, $0.baseAddress, $0.count) } }
            send(PacketCodec.frame(Array("vCont;c".utf8)))
            usleep(300_000)
            send([0x03])
            usleep(300_000)
            send(PacketCodec.frame(Array("p10".utf8)) + PacketCodec.frame(Array("k".utf8)))
        }
        let watchdog = Watchdog(seconds: 20) { shutdown(client, Int32(SHUT_RDWR)) }
        let end = try GDBServer(target: target).serve(GDBConnection(readFD: sv[0], writeFD: sv[0]))
        watchdog.cancel()
        #expect(end == .killed)
        var out = [UInt8](repeating: 0, count: 4096)
        let n = out.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
        var parser = PacketParser()
        let replies = parser.feed(out.prefix(max(0, n))).compactMap { e -> String? in
            if case let .packet(p) = e { return String(decoding: p, as: UTF8.self) } else { return nil }
        }
        #expect(replies.count == 2, "\(replies)")
        #expect(replies.first?.hasPrefix("T02") == true, "\(replies)")
        #expect(replies.first?.contains("thread:\(String(target.pid, radix: 16));") == true, "\(replies)")
        #expect(replies.last?.count == 16, "\(replies)")
    }
}

// Process trees and threads: the crashing child of a fork gets the bundle and replays alone;
// the parent's exit status is unaffected; multi-threaded programs record without hanging.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("fork + pipe: the child crashes, its bundle replays alone, the parent exits 0")
    func forkPipe() throws {
        let ws = try Workspace("fork_pipe")
        defer { ws.remove() }
        let outcome = try runScenario("fork_pipe", in: ws, status: 0, ending: .signal(SIGSEGV),
                                      bundleOwnerPID: { childPID(in: $0.stdout) })
        #expect(outcome.record.stdout.contains("killed by signal 11"),
                "the parent must see its child killed by SIGSEGV while recording:\n\(outcome.record)")
    }

    @Test("TCP over loopback: the forked server crashes on received bytes")
    func tcpLoopback() throws {
        let ws = try Workspace("tcp_loopback")
        defer { ws.remove() }
        let outcome = try runScenario("tcp_loopback", in: ws, status: 0, ending: .signal(SIGSEGV),
                                      bundleOwnerPID: { childPID(in: $0.stdout) })
        #expect(outcome.record.stdout.contains("killed by signal 11"),
                "the parent must see its child killed by SIGSEGV while recording:\n\(outcome.record)")
    }

    @Test("a worker thread crashes while main waits in pthread_join")
    func threads() throws {
        let ws = try Workspace("threads")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "bytes for the worker thread\n")
        try runScenario("threads", in: ws, arguments: [input], inputs: [input],
                        status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
    }

    @Test("threads that exit normally: exit 0, no bundle, no hang", .timeLimit(.minutes(2)))
    func threadsOK() throws {
        let ws = try Workspace("threads_ok")
        defer { ws.remove() }
        try Prerequisites.require()
        let program = try ws.compile("threads_ok")
        let native = try runProcess(program, [], timeout: 60)
        #expect(native.exitCode == 0, "\(native)")
        let rec = try VPlay.record([program], in: ws, timeout: 90)
        #expect(!rec.timedOut, "recording a normally exiting multi-threaded program hung:\n\(rec)")
        #expect(rec.exitCode == 0, "\(rec)")
        #expect(rec.stdout.contains("threads_ok: 4 threads done"), "\(rec)")
        #expect(try ws.bundles().isEmpty, "a normal exit must not write a bundle:\n\(rec)")
        #expect(!rec.stderr.contains("vplay: wrote bundle"), "\(rec)")
    }
}

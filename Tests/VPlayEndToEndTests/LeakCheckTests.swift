// The leak check fails when a process outlives the test that started it: programs that leave
// one behind on purpose, each in the way a shadow or orphan could escape (another process group,
// its own session after a double fork, a daemon known only by pid), are run under a ledger of
// their own, and the ledger must name exactly that process. Each leftover is killed by pid by
// the ledger (and again here, should the check have missed it), so nothing stays.

import Foundation
import Testing
import VPlayTestSupport

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Suite("leak check: what a test leaves behind is found and ended")
    struct LeakCheckTests {
        /// `mode`: "group" (a child in its own process group), "session" (a grandchild with its
        /// own session, reparented to init), "daemon" (the same with an empty environment),
        /// "none" (the child is waited for). The leftover prints "left PID" and waits 60 s.
        static let leaver = """
            #define _GNU_SOURCE
            #include <stdio.h>
            #include <stdlib.h>
            #include <string.h>
            #include <fcntl.h>
            #include <sys/wait.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                const char *mode = argv[1];
                int p[2];
                if (pipe(p) != 0) return 2;
                pid_t c = fork();
                if (c < 0) return 2;
                if (c == 0) {
                    close(p[0]);
                    if (strcmp(mode, "group") == 0) setpgid(0, 0);
                    if (strcmp(mode, "session") == 0 || strcmp(mode, "daemon") == 0) {
                        if (fork() != 0) _exit(0);  // the grandchild is reparented
                        setsid();
                    }
                    if (strcmp(mode, "none") == 0) _exit(0);
                    printf("left %d\\n", getpid());
                    fflush(stdout);
                    if (strcmp(mode, "daemon") == 0) {
                        // The pipe closes at the exec: the parent ends once the token is gone.
                        fcntl(p[1], F_SETFD, FD_CLOEXEC);
                        char *args[] = {"/bin/sleep", "60", NULL}, *env[] = {NULL};
                        execve(args[0], args, env);  // without the spawn's token
                    }
                    close(p[1]);
                    sleep(60);
                    _exit(0);
                }
                close(p[1]);
                char x;
                while (read(p[0], &x, 1) > 0) {}  // until the leftover is set up
                if (strcmp(mode, "none") == 0 || strcmp(mode, "session") == 0 || strcmp(mode, "daemon") == 0)
                    waitpid(c, NULL, 0);
                return 0;
            }
            """

        /// Compiles the leaver and runs it in `mode` under a ledger of its own.
        func leave(_ mode: String, in ws: Workspace) throws -> (LeakLedger, ProcessResult, pid_t?) {
            try Prerequisites.require()
            let source = try ws.write("leaver.c", Self.leaver)
            let binary = ws.path("leaver")
            let cc = try runProcess("gcc", ["-O1", "-o", binary, source], timeout: 60)
            try #require(cc.exitCode == 0, "compiling leaver.c failed:\n\(cc)")
            let ledger = LeakLedger(name: "leaver \(mode)")
            let run = try LeakLedger.$current.withValue(ledger) {
                try runProcess(binary, [mode], timeout: 30)
            }
            #expect(run.exitCode == 0, "the leaver must exit 0:\n\(run)")
            let left = run.stdout.split(separator: "\n").first { $0.hasPrefix("left ") }.flatMap { pid_t($0.dropFirst(5)) }
            return (ledger, run, left)
        }

        /// Whether `pid` is a live process (not a zombie).
        func alive(_ pid: pid_t) -> Bool { ProcStat.read(pid).map { $0.state != "Z" && $0.state != "X" } ?? false }

        /// Kills `pid` if it somehow survived, so the test leaves nothing either way.
        func cleanUp(_ pid: pid_t?) {
            guard let pid, alive(pid) else { return }
            kill(pid, SIGKILL)
        }

        @Test("a child that moved to its own process group is found through its session")
        func otherGroup() throws {
            let ws = try Workspace("leak-group")
            defer { ws.remove() }
            let (ledger, run, left) = try leave("group", in: ws)
            defer { cleanUp(left) }
            let pid = try #require(left, "the leaver must print the pid it left:\n\(run)")
            let leaks = ledger.leaks
            #expect(leaks.map(\.pid) == [pid], "the ledger must name exactly pid \(pid): \(leaks)")
            #expect(leaks.first?.tie == "session \(run.pid)", "tied by the spawn's session: \(leaks)")
            #expect(!alive(pid), "the leftover \(pid) must have been killed")
        }

        @Test("an orphan with its own session, reparented away, is found through its environment")
        func ownSession() throws {
            let ws = try Workspace("leak-session")
            defer { ws.remove() }
            let (ledger, run, left) = try leave("session", in: ws)
            defer { cleanUp(left) }
            let pid = try #require(left, "the leaver must print the pid it left:\n\(run)")
            let leaks = ledger.leaks
            #expect(leaks.map(\.pid) == [pid], "the ledger must name exactly pid \(pid): \(leaks)")
            #expect(leaks.first?.tie.hasPrefix("environment") == true, "tied by the spawn's token: \(leaks)")
            #expect(leaks.first.map { $0.ppid != run.pid } == true, "the orphan was reparented: \(leaks)")
            #expect(!alive(pid), "the leftover \(pid) must have been killed")
        }

        @Test("a daemon known only by its pid is found by the final sweep when the test watches it")
        func watchedDaemon() throws {
            let ws = try Workspace("leak-daemon")
            defer { ws.remove() }
            let (ledger, run, left) = try leave("daemon", in: ws)
            defer { cleanUp(left) }
            let pid = try #require(left, "the leaver must print the pid it left:\n\(run)")
            #expect(ledger.leaks.isEmpty, "nothing ties the daemon to its spawn but its pid: \(ledger.leaks)")
            #expect(alive(pid), "the daemon \(pid) runs on until the sweep")
            ledger.watch(pid: pid)
            let swept = ledger.sweep()
            #expect(swept.map(\.pid) == [pid] && swept.first?.tie == "watched", "the sweep must name \(pid): \(swept)")
            #expect(!alive(pid), "the daemon \(pid) must have been killed")
        }

        @Test("a program that waits for what it started leaves no leak")
        func noLeak() throws {
            let ws = try Workspace("leak-none")
            defer { ws.remove() }
            let (ledger, _, left) = try leave("none", in: ws)
            defer { cleanUp(left) }
            #expect(left == nil)
            #expect(ledger.leaks.isEmpty && ledger.sweep().isEmpty, "no leak expected: \(ledger.leaks)")
        }

        @Test("the .leakChecked trait fails a test that leaves a process: ProcessLeak names it")
        func traitFailsTheTest() async throws {
            let ws = try Workspace("leak-trait")
            defer { ws.remove() }
            try Prerequisites.require()
            let source = try ws.write("leaver.c", Self.leaver)
            let binary = ws.path("leaver")
            let cc = try runProcess("gcc", ["-O1", "-o", binary, source], timeout: 60)
            try #require(cc.exitCode == 0, "compiling leaver.c failed:\n\(cc)")
            let test = try #require(Test.current)
            let runs = RunBox()
            // The trait's own scope, around a body that leaves a child in another process group.
            let error = await #expect(throws: ProcessLeak.self) {
                try await LeakCheckTrait().provideScope(for: test, testCase: Test.Case.current) {
                    runs.result = try runProcess(binary, ["group"], timeout: 30)
                }
            }
            let left = runs.result?.stdout.split(separator: "\n").first { $0.hasPrefix("left ") }.flatMap { pid_t($0.dropFirst(5)) }
            defer { cleanUp(left) }
            let pid = try #require(left, "the leaver must print the pid it left: \(runs.result.map { "\($0)" } ?? "did not run")")
            #expect(error?.leaks.map { $0.pid } == [pid], "\(error.map { "\($0)" } ?? "no error")")
            #expect(error?.description.contains("pid \(pid) ") == true)
            #expect(!alive(pid), "the leftover \(pid) must have been killed")
        }
    }
}

/// Carries a result out of a @Sendable closure (the body runs once, synchronously awaited).
private final class RunBox: @unchecked Sendable {
    var result: ProcessResult?
}

// Runs the real gdb in batch mode against a GDBServer serving a LiveProcessTarget.

import Foundation
import VPlayTestSupport
import Glibc
import Logging
import VPlayGDB

/// The debuggee program of the end-to-end tests and the lines the assertions refer to.
enum Debuggee {
    static let source = """
    #include <stdio.h>

    int global_counter = 0;

    int helper(int v) {
        int doubled = v * 2;              /* helper body */
        return doubled + 1;
    }

    int compute(int x) {
        int before = x + 1;               /* compute first line */
        int result = helper(before);      /* compute calls helper */
        global_counter += result;         /* compute updates global */
        return result;                    /* compute returns */
    }

    int main(void) {
        int total = compute(41);
        int *volatile p = 0;
        printf("total %d\\n", total);
        *p = total;                       /* crash line */
        return 0;
    }
    """

    static func line(_ marker: String) -> Int { VPlayGDBTests.line(of: marker, in: source) }
}

/// One debugging session: the program started stopped under a LiveProcessTarget, gdb started
/// with `gdbArguments(connectCommand)`, the server run on this thread until gdb leaves.
struct GDBRun {
    var output: String
    var sessionEnd: GDBSessionEnd
    var gdbStatus: String
}

enum Transport {
    case tcp
    /// `target remote | sh -c 'cat OUT & exec cat > IN'`: gdb talks to the pipe command,
    /// the server to the other ends of two FIFOs (the stdio transport's plain descriptors).
    case pipeCommand
}

func runGDB(program: String, in dir: TempDirectory, transport: Transport = .tcp, timeout: Double = 90,
            arguments: (_ connect: String) -> [String]) throws -> GDBRun {
    let target = try LiveProcessTarget.launch([program])
    defer { target.end() }
    switch transport {
    case .tcp:
        let listener = try TCPListener()
        let gdb = try ToolProcess(["gdb"] + arguments("target remote 127.0.0.1:\(listener.port)"), outputPath: dir.path + "/gdb.out")
        defer { gdb.end() }
        guard let connection = try listener.accept(timeout: 30) else {
            throw TestFailure("gdb did not connect:\n\(gdb.output)")
        }
        return try serve(target, connection, gdb, timeout: timeout)
    case .pipeCommand:
        let (toServer, toGDB) = (dir.path + "/to-server", dir.path + "/to-gdb")
        guard mkfifo(toServer, 0o600) == 0, mkfifo(toGDB, 0o600) == 0 else { throw TestFailure("mkfifo: errno \(errno)") }
        let command = "target remote | sh -c 'cat \(toGDB) & exec cat > \(toServer)'"
        let gdb = try ToolProcess(["gdb"] + arguments(command), outputPath: dir.path + "/gdb.out")
        defer { gdb.end() }
        let connection = try openFIFOPair(read: toServer, write: toGDB, timeout: 30, gdb: gdb)
        return try serve(target, connection, gdb, timeout: timeout)
    }
}

private func serve(_ target: LiveProcessTarget, _ connection: GDBConnection, _ gdb: ToolProcess,
                   timeout: Double) throws -> GDBRun {
    var logger = Logger(label: "vplay.gdb.test")
    logger.logLevel = ProcessInfo.processInfo.environment["VPLAY_GDB_TRACE"] == nil ? .warning : .trace
    let server = GDBServer(target: target, logger: logger)
    // A hung gdb is killed (by its pid), which ends the session with end of stream.
    let gdbPid = gdb.pid
    let watchdog = Watchdog(seconds: timeout) { kill(gdbPid, SIGKILL) }
    let end: GDBSessionEnd
    do {
        end = try server.serve(connection)
    } catch {
        watchdog.cancel()
        throw error
    }
    watchdog.cancel()
    connection.close()
    let status = try gdb.wait(timeout: 30)
    if ProcessInfo.processInfo.environment["VPLAY_GDB_TRACE"] != nil { print(gdb.output) }
    return GDBRun(output: gdb.output, sessionEnd: end, gdbStatus: "\(status)")
}

/// Opens the server's ends of the FIFOs once the pipe command has opened its ends.
private func openFIFOPair(read: String, write: String, timeout: Double, gdb: ToolProcess) throws -> GDBConnection {
    // Non-blocking opens so a gdb that never starts the command cannot hang the test.
    let r = open(read, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard r >= 0 else { throw TestFailure("open \(read): errno \(errno)") }
    let deadline = monotonicSeconds() + timeout
    var w: Int32 = -1
    while w < 0 {
        w = open(write, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if w < 0 {
            guard errno == ENXIO, monotonicSeconds() < deadline else {
                close(r)
                throw TestFailure("gdb's pipe command did not open \(write) (errno \(errno)):\n\(gdb.output)")
            }
            usleep(5000)
        }
    }
    for fd in [r, w] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) }
    return GDBConnection(readFD: r, writeFD: w)
}

/// Batch-mode gdb arguments: no init files, each command an -ex.
func batch(_ commands: [String], file: String? = nil) -> [String] {
    ["-batch", "-nx", "-iex", "set pagination off", "-iex", "set confirm off", "-iex", "set remotetimeout 30"]
        + commands.flatMap { ["-ex", $0] } + (file.map { [$0] } ?? [])
}

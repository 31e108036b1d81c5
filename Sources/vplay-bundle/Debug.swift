import ArgumentParser
import Foundation
import Logging
import VPlayDebug
import VPlayGDB

struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Debug a bundle's replay with gdb: breakpoints, stepping, watchpoints, reverse execution.",
        discussion: """
            Serves the gdb remote protocol over the replay. Use one of:
              vplay-bundle debug --port 1234 B.vplay     then in gdb: target remote :1234
              gdb -ex 'target remote | vplay-bundle debug --stdio B.vplay'
              vplay-bundle debug --gdb B.vplay           starts gdb already connected
            gdb reads the program and its libraries from the bundle (no files needed). Reverse
            execution (reverse-continue, reverse-step, ...) re-runs the replay from the window start.
            Exit status: 0 when the session ended, 2 unreadable bundle or bad arguments.
            """)

    @Argument(help: "The .vplay bundle.")
    var bundle: String

    @Option(help: "Listen for gdb on this TCP port (0: any free port, printed on stderr).")
    var port: UInt16?

    @Option(help: "Address to listen on with --port.")
    var host = "127.0.0.1"

    @Flag(help: "Speak the protocol on stdin/stdout (for gdb's `target remote | COMMAND`).")
    var stdio = false

    @Flag(help: "Start gdb connected to the replay (gdb from PATH).")
    var gdb = false

    @Option(name: .customLong("gdb-arg"), help: "An extra argument for gdb (repeatable), with --gdb.")
    var gdbArguments: [String] = []

    func validate() throws {
        if [port != nil, stdio, gdb].filter({ $0 }).count != 1 {
            throw ValidationError("choose one of --port PORT, --stdio or --gdb")
        }
    }

    func run() throws {
        let loaded = try loadBundle(bundle)
        let logger = Logger(label: "vplay.debug")
        let debugger = Debugger(bundle: loaded, logger: logger)
        if stdio {
            try debugger.run { GDBConnection.standardIO() }
            return
        }
        let listener = Unlisted(try TCPListener(host: host, port: gdb ? 0 : port ?? 0))
        let chosen = listener.value.port
        var gdbProcess: Process?
        if gdb {
            gdbProcess = try startGDB(port: chosen)
        } else {
            FileHandle.standardError.write(Data("vplay-bundle: listening on \(host):\(chosen); in gdb: target remote :\(chosen)\n".utf8))
        }
        try debugger.run {
            guard let connection = try listener.value.accept(timeout: nil) else {
                throw ValidationError("no gdb connected")
            }
            return connection
        }
        gdbProcess?.waitUntilExit()
    }

    func startGDB(port: UInt16) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gdb", "-q", "-ex", "set remotetimeout 30", "-ex", "target remote :\(port)"] + gdbArguments
        do {
            try process.run()
        } catch {
            throw fail("could not start gdb: \(error)")
        }
        return process
    }
}

/// A listener handed to the server thread, which alone uses it.
struct Unlisted: @unchecked Sendable {
    let value: TCPListener
    init(_ value: TCPListener) { self.value = value }
}

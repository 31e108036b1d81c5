import ArgumentParser
import Foundation
import Logging
import VPlayBundle
import VPlayJSON
import VPlayReplay

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a bundle's window; exit 0 only if the recorded end is reproduced.",
        discussion: "Exit status: 0 reproduced, 1 not reproduced, 2 unreadable bundle or bad arguments.")

    @Argument(help: "The .vplay bundle.")
    var bundle: String

    @Flag(help: "Print one JSON object with the outcome.")
    var json = false

    @Flag(help: "Print what the replayed program writes to stdout/stderr, prefixed, on stdout.")
    var echo = false

    func run() throws {
        let loaded = try loadBundle(bundle)
        var options = ReplayOptions()
        if echo {
            options.echo = { fd, bytes in Replay.printEcho(fd, bytes) }
        }
        let outcome: ReplayOutcome
        do {
            outcome = try Replayer(bundle: loaded, options: options, logger: Logger(label: "vplay.replay")).run()
        } catch {
            throw fail("replay could not start: \(error)")
        }
        if json {
            do {
                printJSON(try JSONValue(encodingWithNulls: outcome))
            } catch {
                throw fail("could not write the outcome as JSON: \(error)")
            }
        } else {
            print(Replay.summary(outcome, loaded.manifest))
        }
        if !outcome.reproduced { throw ExitCode(ExitStatus.notReproduced) }
    }

    static func printEcho(_ fd: Int32, _ bytes: [UInt8]) {
        let prefix = fd == 1 ? "replay stdout| " : "replay stderr| "
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last == "" { lines.removeLast() }
        for line in lines { print(prefix + line) }
    }

    static func summary(_ o: ReplayOutcome, _ m: Manifest) -> String {
        let end = o.signal.map { "signal \($0)" } ?? o.exitCode.map { "exit code \($0)" } ?? "no end"
        let pc = o.pc.map { " at pc 0x\(String($0, radix: 16))" } ?? ""
        if o.reproduced {
            return "reproduced: \(end)\(pc) after \(o.syscalls) syscalls (\(o.eventsReplayed) log events)"
        }
        return "NOT reproduced: \(o.divergence ?? "unknown divergence")\nreplay reached \(end)\(pc) after \(o.syscalls) syscalls, \(o.eventsReplayed) of \(o.events) log events"
    }
}

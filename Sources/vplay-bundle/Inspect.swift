import ArgumentParser
import Foundation
import VPlayBundle
import VPlayJSON
import VPlayReport

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a crash report: the process, the crash, backtraces, registers, the last syscalls, memory.",
        discussion: "Exit status: 0 success, 2 unreadable bundle or bad arguments.")

    @Argument(help: "The .vplay bundle.")
    var bundle: String

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    @Option(help: "How many of the last kernel interactions to show: a number or 'all'.")
    var syscalls: String = "20"

    @Option(help: "Show only this thread's backtrace, registers and interactions.")
    var thread: Int32?

    func validate() throws {
        guard syscalls == "all" || (Int(syscalls).map { $0 >= 0 } ?? false) else {
            throw ValidationError("--syscalls takes a number or 'all'")
        }
    }

    func run() throws {
        // Read everything, so a damaged bundle is reported here and not first at replay.
        let loaded = try loadBundle(bundle)
        let options = ReportOptions(syscallLimit: Int(syscalls), thread: thread)
        let report = CrashReport(bundle: loaded, path: bundle, fileSize: fileSize(bundle), options: options)
        if json {
            do {
                printJSON(try ReportJSON.value(report))
            } catch {
                throw fail("\(error)")
            }
        } else {
            print(ReportText.render(report))
        }
    }

    private func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }
}

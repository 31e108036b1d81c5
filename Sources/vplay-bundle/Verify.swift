import ArgumentParser
import Foundation
import VPlayBundle
import VPlayJSON

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a bundle's format and every checksum.",
        discussion: "Exit status: 0 intact, 1 damaged (each problem is named), 2 missing or unreadable file.")

    @Argument(help: "The .vplay bundle.")
    var bundle: String

    @Flag(help: "Print one JSON object: {\"ok\": Bool, \"problems\": [String]}.")
    var json = false

    func run() throws {
        let problems: [String]
        do {
            problems = try BundleReader.verify(path: bundle)
        } catch {
            throw fail("\(error)")
        }
        if json {
            printJSON(.object(["ok": .bool(problems.isEmpty), "problems": .array(problems.map(JSONValue.string))]))
        } else if problems.isEmpty {
            print("\(bundle): ok")
        } else {
            for p in problems { print(p) }
        }
        if !problems.isEmpty { throw ExitCode(ExitStatus.notReproduced) }
    }
}

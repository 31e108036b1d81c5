import ArgumentParser
import Foundation
import VPlayBundle

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
            let data = try JSONSerialization.data(withJSONObject: ["ok": problems.isEmpty, "problems": problems],
                                                  options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else if problems.isEmpty {
            print("\(bundle): ok")
        } else {
            for p in problems { print(p) }
        }
        if !problems.isEmpty { throw ExitCode(ExitStatus.notReproduced) }
    }
}

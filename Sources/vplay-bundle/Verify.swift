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

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List bundles (time, container, program, end, size), newest first.",
        discussion: "Directories are searched (not recursively) for *.vplay; the default is the current directory. Unreadable bundles are listed with their error. Exit status: 0, or 2 when a directory cannot be read.")

    @Argument(help: "Directories or bundle files.")
    var paths: [String] = ["."]

    @Flag(help: "Print a JSON array.")
    var json = false

    struct Row {
        var path: String, time: String, container: String, program: String, end: String, size: UInt64
    }

    func run() throws {
        var rows: [Row] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw fail("\(path): no such file or directory") }
            let files: [String]
            if isDir.boolValue {
                guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw fail("\(path): cannot read the directory") }
                files = names.filter { $0.hasSuffix(".vplay") }.map { (path as NSString).appendingPathComponent($0) }
            } else {
                files = [path]
            }
            rows += files.map(row)
        }
        rows.sort { $0.time > $1.time }
        if json {
            let objects = rows.map { ["path": $0.path, "time": $0.time, "container": $0.container, "program": $0.program,
                                      "end": $0.end, "size": $0.size] as [String: Any] }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print(columns("TIME", "CONTAINER", "PROGRAM", "END", "SIZE", "PATH"))
        for r in rows {
            print(columns(r.time, String(r.container.prefix(16)), String(r.program.prefix(20)), r.end, String(r.size), r.path))
        }
    }

    func columns(_ time: String, _ container: String, _ program: String, _ end: String, _ size: String, _ path: String) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let sizeColumn = String(repeating: " ", count: max(0, 10 - size.count)) + size
        return "\(pad(time, 24)) \(pad(container, 16)) \(pad(program, 20)) \(pad(end, 12)) \(sizeColumn)  \(path)"
    }

    func row(_ path: String) -> Row {
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
        do {
            let m = try BundleReader.readManifest(path: path)
            let end = m.crash.signalName ?? m.crash.signal.map { "signal \($0)" } ?? "exit \(m.crash.exitCode ?? 0)"
            return Row(path: path, time: m.createdAt, container: m.container?["id"] ?? "-",
                       program: (m.process.program as NSString).lastPathComponent, end: end, size: size)
        } catch {
            return Row(path: path, time: "", container: "-", program: "-", end: "unreadable: \(error)", size: size)
        }
    }
}

import ArgumentParser
import Foundation
import VPlayBundle
import VPlayJSON
import VPlayReport

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List bundles (time, container, program, signal, size), newest first.",
        discussion: "Directories are searched (not recursively) for *.vplay; the default is the current directory. Only manifests are read; a bundle whose manifest cannot be read is listed as unreadable, with the reason. Exit status: 0, or 2 when a path does not exist or a directory cannot be read.")

    @Argument(help: "Directories or bundle files.")
    var paths: [String] = ["."]

    @Flag(help: "Print a JSON array.")
    var json = false

    struct Row {
        var path: String, time: String, container: String, program: String, end: String, size: UInt64
        var signal: String?, exitCode: Int32?, error: String?
    }

    func run() throws {
        var rows: [Row] = []
        for path in paths { rows += try bundleFiles(path).map(row) }
        // ISO 8601 UTC times of one format sort as strings; unreadable bundles (no time) go last.
        rows.sort { ($0.time, $1.path) > ($1.time, $0.path) }
        if json {
            printJSON(.array(rows.map(object)))
            return
        }
        print(columns(["TIME", "CONTAINER", "PROGRAM", "SIGNAL", "SIZE", "PATH"]))
        for r in rows {
            print(columns([r.time.isEmpty ? "-" : r.time, String(r.container.prefix(16)), String(r.program.prefix(20)),
                           r.end, TextSize.format(r.size), r.path]))
        }
    }

    /// The bundles a path names: itself, or the *.vplay files of a directory.
    private func bundleFiles(_ path: String) throws -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw fail("\(path): no such file or directory") }
        guard isDir.boolValue else { return [path] }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { throw fail("\(path): cannot read the directory") }
        return names.filter { $0.hasSuffix(".vplay") }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    private func columns(_ c: [String]) -> String {
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        let size = String(repeating: " ", count: max(0, 9 - c[4].count)) + c[4]
        return "\(pad(c[0], 24)) \(pad(c[1], 16)) \(pad(c[2], 20)) \(pad(c[3], 10)) \(size)  \(c[5])"
    }

    private func row(_ path: String) -> Row {
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value ?? 0
        do {
            let m = try BundleReader.readManifest(path: path)
            let signal = m.crash.signal.map { m.crash.signalName ?? "signal \($0)" }
            return Row(path: path, time: m.createdAt, container: m.container?["id"] ?? "-",
                       program: (m.process.program as NSString).lastPathComponent,
                       end: signal ?? "exit \(m.crash.exitCode ?? 0)", size: size,
                       signal: signal, exitCode: m.crash.exitCode, error: nil)
        } catch {
            let reason = "\(error)".replacingOccurrences(of: "\n", with: " ")
            return Row(path: path, time: "", container: "-", program: "-", end: "unreadable: \(reason)", size: size,
                       signal: nil, exitCode: nil, error: reason)
        }
    }

    private func object(_ r: Row) -> JSONValue {
        .object(["path": .string(r.path), "time": .string(r.time), "container": .string(r.container),
                 "program": .string(r.program), "end": .string(r.end), "size": .uint(r.size),
                 "signal": r.signal.map(JSONValue.string) ?? .null, "exitCode": r.exitCode.map { .int(Int64($0)) } ?? .null,
                 "error": r.error.map(JSONValue.string) ?? .null])
    }
}

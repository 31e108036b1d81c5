import Foundation
import Testing
import VPlayJSON
@testable import VPlayBundle

struct FixtureError: Error { let message: String; init(_ m: String) { message = m } }

/// docs/bundle-format.md describes what the writer writes: its key tables are compared with the
/// keys of a manifest.json and a state.json encoded by BundleWriter.
@Suite("docs/bundle-format.md matches the writer")
struct DocumentTests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/bundle-format.md").path

    /// Objects whose own keys the tables do not list (registers by name; free-form annotations).
    static let leafObjects: Set<String> = ["registers", "container"]

    /// Every optional member set, so that every key appears.
    static func fullBundle() -> Bundle {
        var b = sampleBundle()
        b.manifest.process.startTime = "2025-01-02T03:04:00Z"
        b.manifest.process.executable = "/usr/bin/crashy-real"
        b.manifest.window.snapshotSeconds = 0.002
        b.manifest.memory.captureSeconds = 0.2
        b.manifest.trial = TrialReplay(reproduced: false, pagesTouched: 3, seconds: 0.1, divergence: "somewhere")
        b.manifest.recording = RecordingInfo(path: "bpf", schedule: RecordingInfo.Schedule.full)
        let alt = AltStack(base: 0x7000_0000, flags: 0, size: 8192)
        b.manifest.crash.threads = b.manifest.crash.threads.map { var t = $0; t.altStack = alt; return t }
        b.state.threads = b.state.threads.map { var t = $0; t.altStack = alt; return t }
        b.state.crashMappings = b.state.mappings
        b.state.auxv = [6, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0]
        return b
    }

    /// Every optional member nil.
    static func sparseBundle() -> Bundle {
        var b = sampleBundle()
        b.manifest.container = nil
        b.manifest.trial = nil
        b.manifest.process.startTime = nil
        b.manifest.process.executable = nil
        b.manifest.log.timeBase = nil
        b.manifest.crash.code = nil
        b.state.crashMappings = nil
        b.state.auxv = nil
        return b
    }

    static func members(_ bundle: Bundle) throws -> (manifest: JSONValue, state: JSONValue) {
        let members = try BundleWriter.encodeMembers(bundle, formatVersion: Manifest.currentFormatVersion)
        func member(_ name: String) throws -> JSONValue {
            let bytes = try #require(members.first { $0.name == name }?.bytes, "no \(name)")
            return try JSONValue.parse(Data(bytes))
        }
        return (try member(FormatV1.manifest), try member(FormatV1.state))
    }

    /// `crash.threads[].tid`-style paths of every leaf (arrays of objects as `[]`).
    static func keyPaths(_ value: JSONValue, prefix: String = "") -> Set<String> {
        switch value {
        case .object(let members) where !members.isEmpty:
            var paths: Set<String> = []
            for (key, child) in members {
                let path = prefix.isEmpty ? key : prefix + "." + key
                paths.formUnion(leafObjects.contains(key) ? [path] : keyPaths(child, prefix: path))
            }
            return paths
        case .array(let items) where items.contains(where: { if case .object = $0 { return true } else { return false } }):
            return items.reduce(into: Set<String>()) { $0.formUnion(keyPaths($1, prefix: prefix + "[]")) }
        default:
            return [prefix]
        }
    }

    /// The backticked keys in the first column of the table whose header starts `| HEADER |`.
    static func documentedKeys(header: String) throws -> Set<String> {
        let text = try String(contentsOfFile: document, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let start = try #require(lines.firstIndex { $0.hasPrefix("| \(header) |") }, "no table headed `\(header)` in \(document)")
        var keys: Set<String> = []
        for line in lines[(start + 2)...] {
            guard line.hasPrefix("|") else { break }
            let cell = line.dropFirst().prefix { $0 != "|" }
            for token in cell.split(separator: "`", omittingEmptySubsequences: false).enumerated() where token.offset % 2 == 1 {
                keys.insert(String(token.element))
            }
        }
        return keys
    }

    @Test("the document's key tables are the writer's keys")
    func tablesListEveryKey() throws {
        let (manifest, state) = try Self.members(Self.fullBundle())
        let documentedManifest = try Self.documentedKeys(header: "manifest key")
        let written = Self.keyPaths(manifest)
        #expect(written.subtracting(documentedManifest).sorted() == [], "manifest keys written but not documented")
        #expect(documentedManifest.subtracting(written).sorted() == [], "manifest keys documented but not written")
        let documentedState = try Self.documentedKeys(header: "state key")
        let writtenState = Self.keyPaths(state)
        #expect(writtenState.subtracting(documentedState).sorted() == [], "state keys written but not documented")
        #expect(documentedState.subtracting(writtenState).sorted() == [], "state keys documented but not written")
    }

    @Test("absent values are written as null: every documented key or an enclosing one exists")
    func absentValuesAreNull() throws {
        let (manifest, state) = try Self.members(Self.sparseBundle())
        for (header, value) in [("manifest key", manifest), ("state key", state)] {
            let written = Self.keyPaths(value)
            for key in try Self.documentedKeys(header: header) {
                let parts = key.split(separator: ".")
                let present = (1...parts.count).contains { n in
                    let path = parts.prefix(n).joined(separator: ".")
                    return written.contains(path) || (path.hasSuffix("[]") && written.contains(String(path.dropLast(2))))
                }
                #expect(present, "\(header) \(key): neither it nor an enclosing key is written when absent")
            }
        }
    }

    @Test("older manifests, without process.executable and log.timeBase, still read")
    func olderManifestsRead() throws {
        let (manifest, _) = try Self.members(Self.fullBundle())
        var old = manifest
        var process = try #require(old["process"]), log = try #require(old["log"])
        guard case .object(var p) = process, case .object(var l) = log else { throw FixtureError("not objects") }
        p.removeValue(forKey: "executable")
        l.removeValue(forKey: "timeBase")
        (process, log) = (.object(p), .object(l))
        old.set("process", process)
        old.set("log", log)
        let read = try BundleJSON.decode(ManifestJSON.self, from: Array(old.printed.utf8)).manifest
        #expect(read.process.executable == nil && read.process.executablePath == "/usr/bin/crashy")
        #expect(read.log.timeBase == nil)
        let current = try BundleJSON.decode(ManifestJSON.self, from: Array(manifest.printed.utf8)).manifest
        #expect(current.process.executablePath == "/usr/bin/crashy-real" && current.log.timeBase == LogSummary.windowStart)
    }

    @Test("the document states the format version, accepted versions and parts the code uses")
    func versionsAndParts() throws {
        let text = try String(contentsOfFile: Self.document, encoding: .utf8)
        #expect(text.hasPrefix("# vplay bundle format, version \(Manifest.currentFormatVersion)\n"))
        #expect(text.contains("\"formatVersion\" : \(Manifest.currentFormatVersion)"))
        let versions = Manifest.readableFormatVersions.map(String.init)
        let accepted = versions.count > 1 ? versions.dropLast().joined(separator: ", ") + " and " + versions[versions.count - 1] : versions.joined()
        #expect(text.contains("this reader accepts \(accepted) "), "accepted versions: \(accepted)")
        for (i, name) in FormatV1.members.enumerated() {
            #expect(text.contains("| \(i + 1) | `\(name)` |"), "member \(i + 1) \(name) missing from the member table")
        }
        let (manifest, _) = try Self.members(Self.fullBundle())
        var names: [String] = []
        if case .array(let parts)? = manifest["parts"] {
            for part in parts { if case .string(let name)? = part["name"] { names.append(name) } }
        }
        #expect(names == FormatV1.parts)
        #expect(text.contains("members 2–\(FormatV1.parts.count + 1) (2–4 in version 1)"))
    }
}

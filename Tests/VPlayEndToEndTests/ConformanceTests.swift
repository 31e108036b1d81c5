// The conformance corpus (examples/conformance/*.c): small programs of one kernel feature each
// that check themselves and exit 0. Each is run natively (must exit 0), recorded with
// `--on-exit-code 0` (must exit 0 too: recording is transparent), and every bundle it leaves is
// inspected and replayed. The outcome is compared with the one the program declares in its
// `// conformance:` line, so a regression fails and so does an unexpected improvement (then the
// line is updated: VPLAY_CONFORMANCE_UPDATE=1 rewrites the lines to what was observed, and
// examples/conformance/table.sh regenerates the README's table).
//
// Outcomes, from best to worst:
//  - replayed: recording is transparent and every bundle is verified and replays its end;
//  - transparent: recording is transparent, but a bundle does not replay (or is not verified);
//  - unsupported: recording is transparent, and vplay says it cannot replay what the window holds;
//  - failing: recording is not transparent (another exit status, a hang, no bundle).

import Foundation
import Testing
import VPlayTestSupport

#if canImport(Glibc)
import Glibc
#endif

enum ConformanceCategory: String, CaseIterable, Sendable {
    case replayed, transparent, unsupported, failing
}

/// An outcome: the category and, except for `replayed`, why.
struct ConformanceOutcome: Equatable, CustomStringConvertible, Sendable {
    var category: ConformanceCategory
    var reason: String

    var description: String { reason.isEmpty ? category.rawValue : "\(category.rawValue): \(reason)" }

    /// Parses the text after `// conformance: `.
    init?(declaration text: String) {
        let parts = text.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = parts.first, let category = ConformanceCategory(rawValue: first) else { return nil }
        self.category = category
        reason = parts.count > 1 ? parts[1] : ""
        if category != .replayed && reason.isEmpty { return nil }  // every shortfall says why
    }

    init(_ category: ConformanceCategory, _ reason: String = "") {
        self.category = category
        self.reason = reason
    }

    /// Only the category is compared: reasons hold pids and addresses that change between runs.
    static func == (a: Self, b: Self) -> Bool { a.category == b.category }
}

/// One program of the corpus and what it declares.
struct ConformanceProgram: Sendable, CustomTestStringConvertible {
    var name: String
    var path: String
    /// The leading comment, after the program's name.
    var feature: String
    var expected: ConformanceOutcome
    /// `// conformance-needs: hugepages`: the harness reserves huge pages while it runs.
    var needsHugePages: Bool

    var testDescription: String { name }

    static let directory = Locations.examples + "/conformance"
    static let marker = "// conformance: "

    /// Every program of the corpus, by name. A program without a valid declaration is listed
    /// with a `failing` expectation that names the problem, so the corpus test fails on it.
    static let all: [ConformanceProgram] = {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".c") }.sorted()
        return names.map { file in
            let path = directory + "/" + file
            let name = String(file.dropLast(2))
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // The leading comment before the declaration, starting `// NAME: `.
            let comment = lines.prefix { $0.hasPrefix("// ") && !$0.hasPrefix(marker) }.map { $0.dropFirst(3) }
            let joined = comment.joined(separator: " ")
            let feature = joined.hasPrefix("\(name): ") ? String(joined.dropFirst(name.count + 2)) : ""
            let declared = lines.filter { $0.hasPrefix(marker) }
            let expected = declared.count == 1
                ? ConformanceOutcome(declaration: String(declared[0].dropFirst(marker.count)))
                : nil
            return ConformanceProgram(
                name: name, path: path, feature: feature,
                expected: expected ?? ConformanceOutcome(.failing, "INVALID: needs exactly one valid `// conformance:` line"),
                needsHugePages: lines.contains("// conformance-needs: hugepages"))
        }
    }()
}

/// What one run of the cycle saw.
struct ConformanceObservation {
    var outcome: ConformanceOutcome
    var native: ProcessResult
    var record: ProcessResult?
    var details: [String]
}

enum Conformance {
    /// Window length for recording: short, so that `new_window()` in a program (two 0.3 s sleeps)
    /// makes the bundle's window start after its setup.
    static let window = "0.25"
    /// Natively every program ends within about 1 s; these are the hard limits under vplay.
    static let recordTimeout = 20.0
    static let replayTimeout = 30.0

    /// Compiles, runs natively, records, inspects and replays one program.
    static func observe(_ program: ConformanceProgram, in ws: Workspace) throws -> ConformanceObservation {
        let binary = try compile(program, in: ws)
        let native = try runProcess(binary, [], cwd: ws.root, timeout: 30)
        try #require(native.exitCode == 0, "\(program.name) must pass natively (exit 0):\n\(native)")

        let rec = try VPlay.run(["record", "--window", window, "--on-exit-code", "0",
                                 "--output", ws.bundleDirectory, "--", binary],
                                cwd: ws.root, timeout: recordTimeout)
        func failing(_ why: String) -> ConformanceObservation {
            ConformanceObservation(outcome: .init(.failing, why), native: native, record: rec, details: [])
        }
        if rec.timedOut { return failing("record hangs (killed after \(Int(recordTimeout)) s)") }
        if let sig = rec.signal { return failing("vplay-bundle record killed by signal \(sig)") }
        if rec.exitCode != 0 {
            return failing("recorded, exits \(rec.status) (natively 0): \(lastMessage(rec.stderr))")
        }
        let bundles = try ws.bundles()
        if bundles.isEmpty { return failing("no bundle written: \(lastMessage(rec.stderr))") }

        // Every process that exited 0 left a bundle; each must be verified and replay its end.
        var details: [String] = []
        var worst = ConformanceOutcome(.replayed)
        for bundle in bundles {
            let owner = bundleOwner(bundle)
            let manifest = try VPlay.inspect(bundle)
            let (rep, result) = try VPlay.replay(bundle, in: ws, timeout: replayTimeout)
            let reproduced = rep.exitCode == 0 && result["reproduced"]?.bool == true
            let verified = manifest["verified"]?.bool == true
            details.append("\(owner): verified \(verified), reproduced \(reproduced), divergence \(result["divergence"].map { "\($0)" } ?? "none"), trial \(manifest["trial"].map { "\($0)" } ?? "none")")
            // A bundle never claims more than was checked: verified means its replay reproduces.
            #expect(!verified || reproduced, "\(owner): the bundle claims verified, but its replay diverged: \(result)")
            var here = ConformanceOutcome(.replayed)
            if !reproduced {
                let why = result["divergence"]?.string ?? lastMessage(rep.stderr)
                here = ConformanceOutcome(declaresUnsupported(why) ? .unsupported : .transparent, "\(owner): replay: \(why)")
            } else if !verified {
                let why = manifest["trial.divergence"]?.string ?? "the trial replay did not reproduce the end"
                here = ConformanceOutcome(declaresUnsupported(why) ? .unsupported : .transparent, "\(owner): unverified: \(why)")
            }
            if rank(here.category) > rank(worst.category) { worst = here }
        }
        return ConformanceObservation(outcome: worst, native: native, record: rec, details: details)
    }

    static func compile(_ program: ConformanceProgram, in ws: Workspace) throws -> String {
        let out = ws.root + "/bin/" + program.name
        let cc = try runProcess("gcc", ["-O1", "-g", "-Wall", "-Werror", "-pthread", "-o", out, program.path],
                                timeout: 120)
        guard cc.exitCode == 0 else { throw E2EError("compiling \(program.name).c failed:\n\(cc)") }
        return out
    }

    /// Replay's own words for something it cannot do (rather than a divergence).
    static func declaresUnsupported(_ why: String) -> Bool {
        why.contains("not supported") || why.contains("cannot re-run") || why.contains("unsupported")
    }

    static func rank(_ c: ConformanceCategory) -> Int { ConformanceCategory.allCases.firstIndex(of: c) ?? 0 }

    /// "prog-PID" from "prog-PID-TIME.vplay".
    static func bundleOwner(_ path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return name.split(separator: "-").prefix(2).joined(separator: "-")
    }

    /// The last line of vplay's stderr worth quoting (a warning or error), cut to 200 characters.
    static func lastMessage(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("vplay: wrote bundle") }
        let line = lines.last(where: { $0.contains("error") || $0.contains("warning") || $0.contains("vplay") })
            ?? lines.last ?? "(nothing on stderr)"
        return String(line.prefix(200))
    }

    /// Rewrites a program's `// conformance:` line (VPLAY_CONFORMANCE_UPDATE=1).
    static func updateDeclaration(_ program: ConformanceProgram, to outcome: ConformanceOutcome) throws {
        let text = try String(contentsOfFile: program.path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasPrefix(ConformanceProgram.marker)
                ? ConformanceProgram.marker + oneLine(outcome.description) : String(line)
        }
        try lines.joined(separator: "\n").write(toFile: program.path, atomically: true, encoding: .utf8)
    }

    /// Pids, addresses and times vary between runs; the declaration keeps the words.
    static func oneLine(_ s: String) -> String {
        var t = s.replacingOccurrences(of: "\n", with: " ")
        t = t.replacingOccurrences(of: #"0x[0-9a-f]+"#, with: "0x…", options: .regularExpression)
        t = t.replacingOccurrences(of: #"-[0-9]{2,}\b"#, with: "-PID", options: .regularExpression)
        t = t.replacingOccurrences(of: #"\b(thread|process|pid) [0-9]+"#, with: "$1 N", options: .regularExpression)
        t = t.replacingOccurrences(of: #"event [0-9]+ of [0-9]+"#, with: "event N of M", options: .regularExpression)
        t = t.replacingOccurrences(of: "|", with: "/")  // the README table's separator
        return String(t.prefix(240))
    }

    /// Reserves `count` huge pages (vm.nr_hugepages) while `body` runs, and puts back what was there.
    static func withHugePages<T>(_ count: Int, _ body: () throws -> T) throws -> T {
        let path = "/proc/sys/vm/nr_hugepages"
        let before = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let old = Int(before) else { throw E2EError("\(path) holds \(before), not a number") }
        if old >= count { return try body() }
        do {
            try "\(count)\n".write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw E2EError("cannot reserve \(count) huge pages in \(path) (run as root): \(error)")
        }
        defer { try? "\(old)\n".write(toFile: path, atomically: false, encoding: .utf8) }
        return try body()
    }
}

extension EndToEndTests {
    @Suite("conformance corpus: recorded as natively, replayed as declared")
    struct ConformanceCorpus {
        @Test("the program's declared outcome is what happens", arguments: ConformanceProgram.all)
        func program(_ program: ConformanceProgram) throws {
            try Prerequisites.require()
            let ws = try Workspace("conf-\(program.name)")
            defer { ws.remove() }
            let obs = program.needsHugePages
                ? try Conformance.withHugePages(4) { try Conformance.observe(program, in: ws) }
                : try Conformance.observe(program, in: ws)
            let context = "\(program.name): declared \(program.expected), observed \(obs.outcome)\n"
                + obs.details.joined(separator: "\n") + "\n" + (obs.record.map { "\($0)" } ?? "")
            if ProcessInfo.processInfo.environment["VPLAY_CONFORMANCE_UPDATE"] == "1" {
                if obs.outcome != program.expected || obs.outcome.category != .replayed {
                    try Conformance.updateDeclaration(program, to: obs.outcome)
                }
                return
            }
            #expect(obs.outcome == program.expected, "\(context)")
        }

        @Test("the corpus has at least 60 programs, each with one valid declaration")
        func declarations() {
            let programs = ConformanceProgram.all
            #expect(programs.count >= 60, "examples/conformance holds \(programs.count) programs")
            for p in programs {
                #expect(!p.expected.reason.hasPrefix("INVALID"), "\(p.name).c: \(p.expected.reason)")
                #expect(!p.feature.isEmpty, "\(p.name).c must start with `// \(p.name): <feature>`")
            }
        }

        @Test("the README's table is what examples/conformance/table.sh prints")
        func readmeTable() throws {
            let script = ConformanceProgram.directory + "/table.sh"
            let generated = try runProcess("bash", [script], timeout: 30)
            try #require(generated.exitCode == 0, "table.sh failed:\n\(generated)")
            let readme = try String(contentsOfFile: Locations.packageRoot + "/README.md", encoding: .utf8)
            let start = "<!-- conformance-table:start -->\n", end = "<!-- conformance-table:end -->"
            guard let a = readme.range(of: start), let b = readme.range(of: end, range: a.upperBound..<readme.endIndex) else {
                Issue.record("README.md has no \(start.dropLast()) … \(end) section")
                return
            }
            let table = String(readme[a.upperBound..<b.lowerBound])
            #expect(table == generated.stdout,
                    "README.md's conformance table is out of date: run `bash examples/conformance/table.sh --update-readme`")
        }
    }
}

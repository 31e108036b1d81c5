// Fuzzing the bundle reader through the CLI (issue 6): hundreds of truncated and corrupted
// copies of a real bundle, damaged in every member, given to `inspect`, `verify` and `list`.
// None may crash the tool; inspect fails with one line on stderr and exit 2; verify exits 1
// naming the damaged member (2 only for a file it cannot read at all); list shows every file.

import Foundation
import Testing
import VPlayBundle

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("fuzzed bundles: inspect, verify and list never crash; one-line errors, exit 2; verify names the part")
    func fuzzedBundles() throws {
        let ws = try Workspace("fuzz")
        defer { ws.remove() }
        try Prerequisites.require()
        let program = try ws.compile("file_input")
        let input = try ws.write("input.txt", "fuzz me\n")
        let rec = try VPlay.record([program, input], in: ws)
        let original = try #require(try ws.bundles().first, "could not record a bundle to damage:\n\(rec)")
        // Hundreds of runs over the full bundle (libc included) would take minutes; a copy that keeps
        // only the program's own ELF object gets the bulk, the full bundle a few of each kind per member.
        var small = try BundleReader.read(path: original)
        small.objects = small.objects.filter { $0.path == program }
        let smallPath = ws.path("small.vplay")
        try BundleWriter.write(small, to: smallPath)

        var rng = FuzzRandom(seed: 0x76706c6179)
        let cases = try Mutations.of(readFile(smallPath), perMember: 40, &rng)
            + Mutations.of(readFile(original), perMember: 2, &rng) + Mutations.whole(&rng)
        #expect(cases.count >= 280, "a few hundred damaged copies")
        let dir = ws.path("damaged")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let paths = cases.enumerated().map { dir + "/\($0.offset)-\($0.element.label).vplay" }
        for (path, mutation) in zip(paths, cases) { try Data(mutation.bytes).write(to: URL(fileURLWithPath: path)) }
        // Two at a time (nothing here records, so nothing is timing-sensitive): half the wall time.
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            for i in stride(from: worker, to: cases.count, by: 2) {
                do {
                    try checkDamaged(paths[i], cases[i], json: i % 4 >= 2)
                } catch {
                    Issue.record("\(paths[i]): \(error)")
                }
            }
        }
        // One listing of them all: every file appears, newest first, damaged ones marked.
        let listed = try VPlay.run(["list", dir, "--json"], timeout: 120)
        #expect(listed.exitCode == 0 && listed.signal == nil, "\(listed)")
        #expect(try JSON.parse(listed.stdout).array?.count == cases.count, "list must show every file")

        // verify exits 2 only when the file cannot be read at all.
        let unreadable = try VPlay.run(["verify", dir])
        expectCleanError(unreadable, "verify of a directory")
    }

    /// inspect, verify and list of one damaged file.
    private func checkDamaged(_ path: String, _ m: Mutation, json: Bool) throws {
        let what = "\(m.label) (\(path))"
        let inspect = try VPlay.run(["inspect", path] + (json ? ["--json"] : []), timeout: 60)
        let verify = try VPlay.run(["verify", path], timeout: 60)
        for r in [inspect, verify] {
            #expect(!r.timedOut && r.signal == nil, "\(what): the tool crashed or hung:\n\(r)")
        }
        if inspect.exitCode == 0 {
            // Only damage to what nothing reads (tar padding) goes unnoticed, by both.
            #expect(verify.exitCode == 0, "\(what): inspect accepted what verify rejects:\n\(verify)")
            if json { _ = try JSON.parse(inspect.stdout) }
        } else {
            expectOneLineError(inspect, path, what)
            #expect(verify.exitCode == 1 && !verify.stdout.isEmpty, "\(what): verify must exit 1 naming the problem:\n\(verify)")
            // The manifest and its hash line disagree: verify names the manifest either way.
            if let member = m.namedMember.map({ $0.replacingOccurrences(of: ".sha256", with: "") }) {
                #expect(verify.stdout.contains(member), "\(what): verify must name \(member):\n\(verify.stdout)")
            }
        }
        let list = try VPlay.run(["list", path], timeout: 60)
        #expect(list.exitCode == 0 && list.signal == nil && list.stdout.contains(path), "\(what): list:\n\(list)")
    }

    private func expectOneLineError(_ r: ProcessResult, _ path: String, _ what: String) {
        expectCleanError(r, "inspect of \(what)")
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines.count == 1 && lines.first?.hasPrefix("vplay-bundle: \(path): ") == true,
                "\(what): inspect must print one line naming the file:\n\(r.stderr)")
        #expect(r.stdout.isEmpty, "\(what): nothing on stdout after an error:\n\(r.stdout)")
    }

    private func readFile(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// A damaged copy of a bundle.
struct Mutation {
    var label: String
    var bytes: [UInt8]
    /// The member verify must name when it rejects the copy; nil when the damage has no one owner.
    var namedMember: String?
}

/// SplitMix64, seeded, so a failure can be reproduced.
struct FuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }
}

enum Mutations {
    /// A tar member: its header's offset, its data's offset and size.
    struct Member {
        var name: String
        var header: Int
        var data: Int
        var size: Int
    }

    /// The members of a bundle as its tar headers lay them out (up to the end-of-archive blocks).
    static func members(_ bytes: [UInt8]) -> [Member] {
        var out: [Member] = []
        var offset = 0
        while offset + 512 <= bytes.count, bytes[offset] != 0 {
            let name = String(decoding: bytes[offset..<(offset + 100)].prefix { $0 != 0 }, as: UTF8.self)
            let sizeField = String(decoding: bytes[(offset + 124)..<(offset + 136)].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            guard let size = Int(sizeField, radix: 8) else { break }
            out.append(Member(name: name, header: offset, data: offset + 512, size: size))
            offset += 512 + (size + 511) / 512 * 512
        }
        return out
    }

    /// `perMember` damaged copies for each member, cycling through the kinds of damage.
    static func of(_ bytes: [UInt8], perMember: Int, _ rng: inout FuzzRandom) -> [Mutation] {
        let layout = members(bytes)
        precondition(layout.count == 7, "a format 2 bundle has 7 members, found \(layout.map(\.name))")
        return layout.flatMap { m in (0..<perMember).map { damage(bytes, m, kind: $0 % 6, &rng) } }
    }

    static func damage(_ original: [UInt8], _ m: Member, kind: Int, _ rng: inout FuzzRandom) -> Mutation {
        var b = original
        let short = m.name.replacingOccurrences(of: ".", with: "_")
        let dataOffset = m.data + rng.below(max(1, m.size))
        switch kind {
        case 0:
            b[m.header + rng.below(512)] ^= UInt8(1 << rng.below(8))
            return Mutation(label: "header-bit-\(short)", bytes: b, namedMember: m.name)
        case 1 where m.size > 0:
            b[dataOffset] ^= UInt8(truncatingIfNeeded: rng.below(255) + 1)
            return Mutation(label: "data-byte-\(short)", bytes: b, namedMember: m.name)
        case 2:
            let cut = m.header + rng.below(m.data + m.size - m.header)
            return Mutation(label: "cut-\(short)", bytes: Array(b[..<cut]), namedMember: m.name)
        case 3 where m.size > 0:
            let count = min(64, m.data + m.size - dataOffset)
            b.replaceSubrange(dataOffset..<(dataOffset + count), with: rng.bytes(count))
            return Mutation(label: "data-run-\(short)", bytes: b, namedMember: nil)  // random bytes may equal the old ones
        case 4:
            let block = m.header + 512 * rng.below((m.data + m.size - m.header + 511) / 512)
            b.replaceSubrange(block..<min(b.count, block + 512), with: [UInt8](repeating: 0, count: min(512, b.count - block)))
            return Mutation(label: "zero-block-\(short)", bytes: b, namedMember: nil)  // may hit padding only
        default:
            b.insert(contentsOf: rng.bytes(512), at: m.header)
            return Mutation(label: "insert-\(short)", bytes: b, namedMember: nil)
        }
    }

    /// Files that are hardly bundles at all.
    static func whole(_ rng: inout FuzzRandom) -> [Mutation] {
        [Mutation(label: "empty", bytes: [], namedMember: nil),
         Mutation(label: "random-small", bytes: rng.bytes(100), namedMember: nil),
         Mutation(label: "random-large", bytes: rng.bytes(70_000), namedMember: nil),
         Mutation(label: "zeros", bytes: [UInt8](repeating: 0, count: 10_240), namedMember: nil),
         Mutation(label: "text", bytes: Array(String(repeating: "manifest.json\n", count: 100).utf8), namedMember: nil)]
    }
}

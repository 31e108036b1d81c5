// Partial checkpoint (issue 4): a trial replay at capture time, with every window-start page
// missing and served on demand from the shadow, picks the pages the bundle keeps.

import Foundation
import Testing
import VPlayBundle

#if canImport(Glibc)
import Glibc
#endif

extension EndToEndTests {
    @Test("512 MiB of heap, 4 s over a few KiB: at most 2 MiB of pages saved, verified, reproduced")
    func largeHeapSmallBundle() throws {
        let ws = try Workspace("big_heap")
        defer { ws.remove() }
        let outcome = try runScenario("big_heap", in: ws, arguments: ["512", "4"], status: 128 + SIGSEGV,
                                      ending: .signal(SIGSEGV), options: ["--window", "1"], window: 1,
                                      nativeRun: false, recordTimeout: 120)
        let m = try #require(outcome.manifests.first)
        let saved = m["memory.savedBytes"]?.uint64 ?? .max, resident = m["memory.residentBytes"]?.uint64 ?? 0
        #expect(saved <= 2 << 20, "saved \(saved) bytes, more than 2 MiB: \(m.brief)")
        #expect(resident >= 512 << 20, "resident \(resident) bytes, expected at least 512 MiB: \(m.brief)")
        #expect(m["verified"]?.bool == true && m["trial.reproduced"]?.bool == true, "\(m.brief)")
        let text = try VPlay.run(["inspect", outcome.bundles[0]])
        #expect(text.stdout.contains("bytes saved of") && text.stdout.contains("verified  yes"),
                "inspect must show saved versus resident and the verified flag:\n\(text.stdout)")
    }

    @Test("a replay that touches a page the bundle lacks stops with a divergence naming it")
    func missingPageIsADivergence() throws {
        let ws = try Workspace("missing_page")
        defer { ws.remove() }
        let input = try ws.write("input.txt", "the trial replay saves the pages this run touches\n")
        let outcome = try runScenario("file_input", in: ws, arguments: [input], inputs: [input],
                                      status: 128 + SIGSEGV, ending: .signal(SIGSEGV))
        var bundle = try BundleReader.read(path: outcome.bundles[0])
        #expect(bundle.manifest.verified)
        // The stack page at window start is touched by any replay.
        let rsp = try #require(bundle.state.threads.first?.registers.rsp)
        let page = rsp & ~0xfff
        let before = bundle.pages.reduce(0) { $0 + $1.bytes.count }
        bundle.pages = bundle.pages.flatMap { run in removing(page: page, from: run) }
        #expect(bundle.pages.reduce(0) { $0 + $1.bytes.count } == before - 4096, "page 0x\(String(page, radix: 16)) must have been saved")
        let damaged = ws.path("without-stack-page.vplay")
        try BundleWriter.write(bundle, to: damaged)

        let r = try VPlay.run(["replay", damaged, "--json"], cwd: ws.replayDirectory, timeout: 60)
        #expect(r.exitCode == 1, "replay of an incomplete bundle must exit 1 (not reproduced):\n\(r)")
        let result = try JSON.parse(r.stdout)
        #expect(result["reproduced"]?.bool == false)
        let divergence = result["divergence"]?.string ?? ""
        #expect(divergence.contains("0x\(String(page, radix: 16))") && divergence.contains("does not hold"),
                "the divergence must name page 0x\(String(page, radix: 16)): \(divergence)")
    }

    @Test("rdrand makes the trial replay diverge: every resident page, unverified, and where")
    func trialDivergenceFallsBack() throws {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        try #require(cpuinfo.contains(" rdrand"), "this CPU has no rdrand instruction")
        let ws = try Workspace("rdrand")
        defer { ws.remove() }
        let program = try ws.compile("rdrand", extraFlags: ["-mrdrnd"])
        let rec = try VPlay.record([program], in: ws)
        #expect(rec.exitCode == 128 + SIGSEGV, "\(rec)")
        let bundles = try ws.bundles()
        try #require(bundles.count == 1, "\(rec)")
        let m = try VPlay.inspect(bundles[0])
        #expect(m["verified"]?.bool == false, "\(m.brief)")
        #expect(m["trial.reproduced"]?.bool == false, "\(m.brief)")
        let divergence = m["trial.divergence"]?.string ?? ""
        // Registers differ at the end, or earlier: the program prints the random value, whose
        // length differs now and then.
        #expect(divergence.contains("differ") || divergence.contains("where the recording has"),
                "the manifest must say where the trial diverged: \(divergence)")
        // Every non-zero resident page: the program's own writable data is all there.
        let saved = m["memory.savedBytes"]?.uint64 ?? 0
        #expect(saved >= 64 << 10, "an unverified bundle keeps every resident page, saved only \(saved): \(m.brief)")
        let text = try VPlay.run(["inspect", bundles[0]])
        #expect(text.stdout.contains("verified  no"), "inspect must say unverified:\n\(text.stdout)")
    }
}

/// A page run without one page (split in two when the page is inside it).
func removing(page: UInt64, from run: PageRun) -> [PageRun] {
    let end = run.address + UInt64(run.bytes.count)
    guard run.address <= page, page < end else { return [run] }
    let cut = Int(page - run.address)
    var parts: [PageRun] = []
    if cut > 0 { parts.append(PageRun(address: run.address, bytes: Array(run.bytes[..<cut]))) }
    if cut + 4096 < run.bytes.count { parts.append(PageRun(address: page + 4096, bytes: Array(run.bytes[(cut + 4096)...]))) }
    return parts
}

// Replay must compute what the recording computed from every kind of memory (issue 10,
// defects 6 and 7): MAP_SHARED memory, a stack growing below its window-start extent, mremap,
// madvise on locked memory, hugetlb pages; and memory other processes write is never verified.
// Each mode of examples/memory_kinds.c checks its own result (exit 1 when wrong), recorded with
// --on-exit-code 0 and a short window so that the window starts after the mode's setup.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One recorded run of a memory_kinds mode: the program's output and each bundle's manifest by pid.
struct MemoryKindRun {
    var record: ProcessResult
    var bundles: [pid_t: (path: String, manifest: JSON)]
}

extension EndToEndTests {
    func recordMemoryKind(_ mode: String, in ws: Workspace, program: String? = nil) throws -> MemoryKindRun {
        try Prerequisites.require()
        let program = try program ?? ws.compile("memory_kinds")
        let data = ws.path("memory_kinds.bin")
        let native = try runProcess(program, [mode, data], cwd: ws.root, timeout: 60)
        try #require(native.exitCode == 0, "memory_kinds \(mode) must pass natively:\n\(native)")
        let rec = try VPlay.record([program, mode, data], in: ws, options: ["--window", "0.25", "--on-exit-code", "0"],
                                   timeout: 90)
        #expect(rec.exitCode == 0, "recorded, memory_kinds \(mode) must behave as natively (exit 0):\n\(rec)")
        var bundles: [pid_t: (String, JSON)] = [:]
        for path in try ws.bundles() {
            let name = URL(fileURLWithPath: path).lastPathComponent
            guard let pid = name.split(separator: "-").dropFirst().first.flatMap({ pid_t($0) }) else { continue }
            bundles[pid] = (path, try VPlay.inspect(path))
        }
        try ws.delete([data])
        return MemoryKindRun(record: rec, bundles: bundles)
    }

    /// The bundle is verified by its trial replay, and a replay from it alone reproduces the end.
    func expectVerifiedReplay(_ path: String, _ manifest: JSON, in ws: Workspace, _ what: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(manifest["verified"]?.bool == true,
                "\(what): the trial replay must reproduce the end: \(manifest["trial"].map { "\($0)" } ?? "no trial")",
                sourceLocation: sourceLocation)
        let (rep, result) = try VPlay.replay(path, in: ws)
        #expect(rep.exitCode == 0 && result["reproduced"]?.bool == true,
                "\(what): replay must reproduce: \(result)\n\(rep.stderr)", sourceLocation: sourceLocation)
        #expect(result["pc"]?.uint64 == manifest["crash.pc"]?.uint64, "\(what): replay pc: \(result)",
                sourceLocation: sourceLocation)
    }

    /// Records one single-process mode and checks its bundle end to end.
    func expectMemoryKindReplays(_ mode: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ws = try Workspace("memory-\(mode)")
        defer { ws.remove() }
        let program = try ws.compile("memory_kinds")
        let run = try recordMemoryKind(mode, in: ws, program: program)
        try #require(run.bundles.count == 1, "one bundle expected:\n\(run.record)", sourceLocation: sourceLocation)
        try ws.delete([program])
        for (_, bundle) in run.bundles {
            try expectVerifiedReplay(bundle.path, bundle.manifest, in: ws, mode, sourceLocation: sourceLocation)
        }
    }

    @Test("MAP_SHARED anonymous memory changed after window start replays from its window-start contents")
    func sharedAnonymousMemory() throws { try expectMemoryKindReplays("shared-anon") }

    @Test("a file mapped MAP_SHARED and written through the mapping replays from its window-start contents")
    func sharedFileMapping() throws { try expectMemoryKindReplays("shared-file") }

    @Test("MAP_SHARED memory a forked child wrote: the parent's bundle is never verified, the child's is")
    func sharedMemoryWrittenByAChild() throws {
        for mode in ["shared-fork", "shared-peer"] {
            let ws = try Workspace("memory-\(mode)")
            defer { ws.remove() }
            let run = try recordMemoryKind(mode, in: ws)
            try #require(run.bundles.count == 2, "\(mode): a bundle for parent and child expected:\n\(run.record)")
            let parent = try #require(run.bundles.keys.min()), child = try #require(run.bundles.keys.max())
            let m = try #require(run.bundles[parent]?.manifest)
            #expect(m["verified"]?.bool == false, "\(mode): the parent read or kept memory its child wrote: \(m.brief)")
            if mode == "shared-peer" {
                // Nothing the parent does depends on it; only the end of the trial sees it.
                let divergence = m["trial.divergence"]?.string ?? ""
                #expect(divergence.contains("MAP_SHARED memory") && divergence.contains("another process or the kernel"),
                        "the divergence must say why: \(divergence)")
            }
            if let c = run.bundles[child] { try expectVerifiedReplay(c.path, c.manifest, in: ws, "\(mode) child") }
        }
    }

    @Test("a stack that grows 2 MiB below where it was at window start replays")
    func stackGrowsBelowWindowStart() throws { try expectMemoryKindReplays("stack-grow") }

    @Test("a stack overflow under an RLIMIT_STACK set inside the window faults at the recorded place")
    func stackOverflowIntoTheGuard() throws {
        let ws = try Workspace("memory-stack-overflow")
        defer { ws.remove() }
        let run = try recordMemoryKind("stack-overflow", in: ws)
        let crashed = run.bundles.values.filter { $0.manifest["crash.signal"]?.int == Int(SIGSEGV) }
        try #require(crashed.count == 1, "the child's SIGSEGV must give one bundle:\n\(run.record)")
        try expectVerifiedReplay(crashed[0].path, crashed[0].manifest, in: ws, "stack overflow")
    }

    @Test("mremap growing a mapping in place replays")
    func mremapGrowsInPlace() throws { try expectMemoryKindReplays("mremap-inplace") }

    @Test("mremap growing a file mapping: the new part holds the file's bytes in replay")
    func mremapGrowsAFileMapping() throws { try expectMemoryKindReplays("mremap-file") }

    @Test("madvise on mlock()ed memory: EINVAL for MADV_DONTNEED, zeros after MADV_DONTNEED_LOCKED")
    func madviseOnLockedMemory() throws { try expectMemoryKindReplays("madvise-locked") }

    @Test("MAP_HUGETLB and huge memfd pages: recorded as natively (the shadow holds no huge page), replayed")
    func hugePages() throws {
        try withFreeHugePages(2) {
            for mode in ["hugetlb", "hugetlb-memfd"] { try expectMemoryKindReplays(mode) }
        }
    }

    @Test("clone() onto a stack the program allocated (4 KiB too), openat in the child: recorded, verified, replayed")
    func cloneOnOwnStack() throws {
        let cases = [("malloc", "vm", "256"), ("mmap", "fork", "256"), ("mmap", "thread", "256"), ("malloc", "thread", "256"),
                     ("mmap", "fork", "4"), ("mmap", "vm", "4")]
        for (stack, kind, kib) in cases {
            let ws = try Workspace("clone-\(stack)-\(kind)-\(kib)")
            defer { ws.remove() }
            try Prerequisites.require()
            let program = try ws.compile("clone_stacks")
            let rec = try VPlay.record([program, stack, kind, kib], in: ws, options: ["--window", "0.25", "--on-exit-code", "0"])
            #expect(rec.exitCode == 0, "\(stack) \(kind) \(kib) KiB:\n\(rec)")
            let bundles = try ws.bundles()
            #expect(bundles.count == (kind == "thread" ? 1 : 2), "\(stack) \(kind) \(kib) KiB: \(bundles)\n\(rec)")
            try ws.delete([program])
            // A CLONE_VM child writes its parent's memory behind the parent's log: only the
            // child's own bundle (the later pid) verifies, the parent's says why it does not.
            let pid = { (path: String) in Int(URL(fileURLWithPath: path).lastPathComponent.split(separator: "-")[1]) ?? 0 }
            let child = bundles.max { pid($0) < pid($1) }, parent = bundles.min { pid($0) < pid($1) }
            if kind == "vm", let parent {
                let m = try VPlay.inspect(parent)
                #expect(m["verified"]?.bool == false && (m["trial.divergence"]?.string ?? "").contains("CLONE_VM"),
                        "\(stack) \(kind) \(kib) KiB: the parent's bundle must not verify: \(m.brief) \(m["trial"].map { "\($0)" } ?? "")")
            }
            for path in kind == "vm" ? (child.map { [$0] } ?? []) : bundles {
                try expectVerifiedReplay(path, try VPlay.inspect(path), in: ws, "clone \(stack) \(kind) \(path)")
            }
        }
    }
}

/// Runs `body` with at least `count` huge pages free, raising vm.nr_hugepages for it when needed
/// and putting the old value back afterwards.
func withFreeHugePages(_ count: Int, _ body: () throws -> Void) throws {
    let control = "/proc/sys/vm/nr_hugepages"
    let old = try #require(Int((try String(contentsOfFile: control, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)))
    let meminfo = try String(contentsOfFile: "/proc/meminfo", encoding: .utf8)
    let free = meminfo.split(separator: "\n").first { $0.hasPrefix("HugePages_Free:") }
        .flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    let raised = free < count
    if raised { try "\(old + count - free)\n".write(toFile: control, atomically: false, encoding: .utf8) }
    defer { if raised { try? "\(old)\n".write(toFile: control, atomically: false, encoding: .utf8) } }
    try body()
}

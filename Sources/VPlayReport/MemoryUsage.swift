import VPlayBundle

/// A window-start mapping and how much of it the bundle saved.
public struct MappingUsage: Equatable, Sendable {
    public var mapping: MemoryMapping
    public var savedBytes: UInt64
    /// 4 KiB pages of the mapping that hold saved bytes.
    public var savedPages: Int
    public var pages: Int
}

/// What the bundle holds of the process's memory.
public struct MemorySection: Equatable, Sendable {
    /// The window-start memory map, which the saved pages belong to.
    public var mappings: [MappingUsage]
    public var savedPages: Int
    /// Bytes of the threads' stacks saved at the crash (for backtraces).
    public var crashStackBytes: Int
    /// Bytes of the bundled ELF objects.
    public var objectBytes: Int
}

enum MemoryUsage {
    static let pageSize: UInt64 = 4096

    static func section(_ bundle: Bundle) -> MemorySection {
        let runs = bundle.pages.filter { !$0.bytes.isEmpty }
        let mapped = bundle.state.mappings.map { usage(of: $0, runs) }
        return MemorySection(mappings: mapped, savedPages: runs.reduce(0) { $0 + pages(from: $1.address, to: end(of: $1)) },
                             crashStackBytes: bundle.crashMemory.reduce(0) { $0 + $1.bytes.count },
                             objectBytes: bundle.objects.reduce(0) { $0 + $1.bytes.count })
    }

    static func usage(of m: MemoryMapping, _ runs: [PageRun]) -> MappingUsage {
        var bytes: UInt64 = 0
        var saved = 0
        for run in runs {
            let start = max(run.address, m.start), stop = min(end(of: run), m.end)
            guard stop > start else { continue }
            bytes += stop - start
            saved += pages(from: start, to: stop)
        }
        return MappingUsage(mapping: m, savedBytes: bytes, savedPages: saved,
                            pages: m.end > m.start ? pages(from: m.start, to: m.end) : 0)
    }

    /// The pages that [start, stop) touches; stop > start.
    static func pages(from start: UInt64, to stop: UInt64) -> Int {
        guard stop > start else { return 0 }
        return Int((stop - 1) / pageSize - start / pageSize + 1)
    }

    /// The end of a run, clamped instead of wrapping for a run at the top of the address space.
    static func end(of run: PageRun) -> UInt64 {
        let count = UInt64(run.bytes.count)
        return run.address > UInt64.max - count ? UInt64.max : run.address + count
    }
}

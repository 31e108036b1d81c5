import Foundation
import Glibc
import VPlayBundle
import VPlayKernel

/// Where replay's window-start pages come from when they are served on demand.
public protocol PageSource: AnyObject, Sendable {
    /// The page's window-start bytes (one page), or nil when the source does not hold it.
    func page(at address: UInt64) -> [UInt8]?
}

/// The pages a bundle holds.
final class BundlePages: PageSource, @unchecked Sendable {
    private let pages: [UInt64: (run: Int, offset: Int)]
    private let runs: [PageRun]

    init(_ runs: [PageRun]) {
        var pages: [UInt64: (run: Int, offset: Int)] = [:]
        for (i, run) in runs.enumerated() {
            var offset = 0
            while offset + pageSize <= run.bytes.count {
                pages[run.address + UInt64(offset)] = (i, offset)
                offset += pageSize
            }
        }
        self.pages = pages
        self.runs = runs
    }

    func page(at address: UInt64) -> [UInt8]? {
        guard let where_ = pages[address] else { return nil }
        return Array(runs[where_.run].bytes[where_.offset..<where_.offset + pageSize])
    }
}

/// The memory of a live process, such as a window-start shadow, read through /proc/PID/mem.
public final class ProcessPages: PageSource, @unchecked Sendable {
    private let memory: ProcessMemory
    public init(pid: Int32) throws { memory = try ProcessMemory(pid: pid) }
    public func page(at address: UInt64) -> [UInt8]? { try? memory.read(address, count: pageSize) }
}

let pageSize = 4096

/// Serves the page faults of a replay process from a `PageSource` on a thread of its own (a
/// fault inside a re-executed call or a signal delivery waits while the tracer waits for the
/// process), and notes every page served: the pages the replay touched.
final class PageServer: @unchecked Sendable {
    let uffd: UserfaultFD
    let source: PageSource
    /// The window-start mappings: the registered ranges, to name them in reports.
    let mappings: [MemoryMapping]
    private let keepContents: Bool
    private let lock = NSLock()
    private var served: [UInt64: [UInt8]] = [:]
    private var servedSet: Set<UInt64> = []
    /// Pages an earlier run touched: counted, but filled again in this run.
    private var touchedEarlier: Set<UInt64> = []
    private var missingPage: UInt64?
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    init(uffd: UserfaultFD, source: PageSource, mappings: [MemoryMapping], keepContents: Bool) {
        self.uffd = uffd
        self.source = source
        self.mappings = mappings
        self.keepContents = keepContents
    }

    func start() {
        let thread = Thread { [self] in
            serve()
            finished.signal()
        }
        thread.name = "vplay-pages"
        thread.start()
    }

    /// Ends the serving thread; call after the process is dead (a waiting fault ends with it).
    func stop() {
        lock.withLock { stopping = true }
        finished.wait()
    }

    private func serve() {
        while !lock.withLock({ stopping }) {
            guard let address = try? uffd.nextFault(timeoutMs: 20) else { continue }
            if (try? fill(address)) != true {
                // Never invent bytes: the process stops here, and replay reports the page.
                lock.withLock { if missingPage == nil { missingPage = address } }
                kill(uffd.pid, SIGKILL)
            }
        }
    }

    /// Fills one page from the source. False when the source lacks it and the page was still
    /// missing in the process.
    private func fill(_ address: UInt64) throws -> Bool {
        let zeros = [UInt8](repeating: 0, count: pageSize)
        // Served before and missing again: the process discarded it (madvise), as the kernel
        // does for anonymous memory it reads as zeros now.
        if lock.withLock({ servedSet.contains(address) }) {
            _ = try uffd.copy(page: address, zeros)
            return true
        }
        // Outside every window-start mapping (a stack that grew below where it was at window
        // start, a mapping grown in place): memory the kernel gives zero-filled.
        if mapping(containing: address) == nil {
            _ = try uffd.copy(page: address, zeros)
            return true
        }
        guard let bytes = source.page(at: address) else {
            // Not in the source: a problem only when the page is still registered and missing
            // (not when the range was unmapped or replaced since window start).
            return try uffd.copy(page: address, zeros) != .filled
        }
        if try uffd.copy(page: address, bytes) == .notRegistered { return true }
        lock.withLock {
            servedSet.insert(address)
            if keepContents { served[address] = bytes }
        }
        return true
    }

    /// Fills the missing pages of [address, address+count) that lie in window-start mappings,
    /// for the tracer's own accesses. False when nothing there was window-start memory.
    /// With `sourceOnly`, a page the source lacks is left missing (a debugger's read fails
    /// there) instead of being reported as a divergence.
    func populate(_ address: UInt64, count: Int, sourceOnly: Bool = false) throws -> Bool {
        var page = address & ~UInt64(pageSize - 1)
        let end = address + UInt64(max(count, 1))
        var any = false
        while page < end {
            if mapping(containing: page) != nil {
                if sourceOnly && source.page(at: page) == nil && !lock.withLock({ servedSet.contains(page) }) { return any }
                any = true
                guard try fill(page) else { throw PageMissing(address: page, mapping: mapping(containing: page)) }
            }
            page += UInt64(pageSize)
        }
        return any
    }

    /// Lets the range fill with zeros from now on, as the kernel does after MADV_DONTNEED:
    /// serving window-start contents there would be wrong.
    func release(_ start: UInt64, length: UInt64) {
        let end = start &+ length
        for m in mappings where m.start < end && start < m.end {
            let from = max(m.start, start & ~UInt64(pageSize - 1)), to = min(m.end, end)
            if to > from { try? uffd.unregister(from, length: to - from) }
        }
    }

    /// Carries over what an earlier run of the same replay touched.
    func adopt(_ earlier: PageServer) {
        let (pages, set) = earlier.lock.withLock { (earlier.served, earlier.servedSet) }
        lock.withLock {
            served.merge(pages) { a, _ in a }
            touchedEarlier = set
        }
    }

    func mapping(containing address: UInt64) -> MemoryMapping? {
        mappings.first { $0.start <= address && address < $0.end }
    }

    /// The first page a fault asked for that the source did not hold.
    var missing: PageMissing? {
        lock.withLock { missingPage.map { PageMissing(address: $0, mapping: mapping(containing: $0)) } }
    }

    /// Touched pages with their contents, merged into runs (needs keepContents).
    var touchedRuns: [PageRun] {
        PageRun.merging(lock.withLock { served })
    }

    var touchedCount: Int { lock.withLock { servedSet.union(touchedEarlier).count } }
}

/// Replay needed a page the bundle does not hold.
struct PageMissing: Error, CustomStringConvertible {
    let address: UInt64
    let mapping: MemoryMapping?
    var description: String {
        let where_ = mapping.map { " in \($0.path.isEmpty ? "anonymous memory" : $0.path) 0x\(hex($0.start))-0x\(hex($0.end))" } ?? ""
        return "replay touched page 0x\(hex(address))\(where_), which the bundle does not hold"
    }
}

import Foundation
import Glibc
import VPlayBundle
import VPlayKernel
import VPlayReplay

/// MAP_SHARED and hugetlb memory as it was at window start.
///
/// The shadow cannot hold it: a copy-on-write clone shares MAP_SHARED pages with the program
/// (at the crash they read as they are then, not as at window start), and a shadow holding
/// hugetlb pages takes huge pages from the program (its next copy-on-write or mapping fails
/// when the pool is small). So these mappings are copied when the window starts and unmapped
/// in the shadow.
struct SharedCopy: Sendable {
    /// Window-start bytes by page address (pages that read as zeros are in `zeros`).
    var pages: [UInt64: [UInt8]] = [:]
    var zeros: Set<UInt64> = []
    /// Mappings copied (a page of theirs the copy lacks could not be read: no data there).
    var copied: [MemoryMapping] = []
    /// Mappings too large to copy: their window-start contents are unknown.
    var uncovered: [MemoryMapping] = []

    /// Bytes copied at most per window (two windows are kept).
    static let limit = 64 << 20

    /// Whether the window start needs this mapping copied rather than kept in the shadow.
    static func needsCopy(_ m: MemoryMapping) -> Bool {
        m.shared || m.path.hasPrefix("/anon_hugepage")
    }

    func covers(_ address: UInt64) -> Bool {
        copied.contains { $0.start <= address && address < $0.end }
    }

    func isUncovered(_ address: UInt64) -> Bool {
        uncovered.contains { $0.start <= address && address < $0.end }
    }

    /// Copies the mappings from the stopped program. Private hugetlb memory is read only where
    /// present (reading a hole would take a huge page from the pool).
    static func take(pid: Int32, memory: ProcessMemory, mappings: [MemoryMapping]) -> SharedCopy {
        var copy = SharedCopy()
        var total = 0
        for m in mappings where needsCopy(m) && m.end <= 0x7fff_ffff_f000 {
            guard total + Int(m.size) <= limit else {
                copy.uncovered.append(m)
                continue
            }
            total += Int(m.size)
            let present = m.shared ? nil : ProcFS.presentPages(pid, start: m.start, end: m.end)
            var page = m.start
            while page < m.end {
                let index = Int((page - m.start) / 4096)
                if let present, index < present.count, !present[index] {
                    copy.zeros.insert(page)
                } else if let bytes = try? memory.read(page, count: 4096) {
                    if bytes.contains(where: { $0 != 0 }) { copy.pages[page] = bytes } else { copy.zeros.insert(page) }
                }
                page += 4096
            }
            copy.copied.append(m)
        }
        return copy
    }

    /// The copied pages that hold data, merged into runs (for a bundle that keeps every page).
    var runs: [PageRun] {
        PageRun.merging(pages)
    }
}

/// Window-start pages for the trial replay: shared and hugetlb memory from the copy taken at
/// window start, everything else from the shadow.
final class WindowStartPages: PageSource, @unchecked Sendable {
    let shadow: ProcessPages
    let copy: SharedCopy

    init(shadow: Int32, copy: SharedCopy) throws {
        self.shadow = try ProcessPages(pid: shadow)
        self.copy = copy
    }

    func page(at address: UInt64) -> [UInt8]? {
        if let bytes = copy.pages[address] { return bytes }
        if copy.zeros.contains(address) { return [UInt8](repeating: 0, count: 4096) }
        // Unknown (too large to copy, or unreadable): a replay that touches it is not verified.
        if copy.covers(address) || copy.isUncovered(address) { return nil }
        return shadow.page(at: address)
    }
}

extension Recorder {
    /// Unmaps the copied mappings in the (parked) shadow, so that it holds no huge page and
    /// no reference to the program's shared memory.
    func releaseSharedMappings(shadow: Int32, copy: SharedCopy, syscallInstruction: UInt64) throws {
        let ranges = copy.copied + copy.uncovered
        guard !ranges.isEmpty else { return }
        logger.debug("shadow \(shadow): unmapping \(ranges.count) shared or hugetlb mappings copied at window start")
        let caller = try RemoteCaller(Tracee(shadow), syscallInstruction: syscallInstruction, atEntryStop: false)
        for m in ranges {
            let r = try caller.call(SyscallNumber.munmap, [m.start, m.size])
            if r != 0 { throw KernelError("munmap 0x\(String(m.start, radix: 16)) in shadow", pid: shadow, errno: Int32(-r)) }
        }
        _ = try caller.finish(reissue: false)
    }

    /// The end of a trial replay must leave MAP_SHARED memory as the recording left it: if not,
    /// another process or the kernel (a write to the mapped file) changed it during the window,
    /// and those asynchronous writes are not in the log.
    func sharedMemoryCheck(pid: Int32, crashMappings: [MemoryMapping]) -> (@Sendable (ProcessMemory) -> String?)? {
        let shared = crashMappings.filter { $0.shared && $0.end <= 0x7fff_ffff_f000 }
        guard !shared.isEmpty, let live = try? ProcessMemory(pid: pid) else { return nil }
        var recorded: [(MemoryMapping, [PageRun])] = []
        var total = 0
        for m in shared {
            total += Int(m.size)
            if total > SharedCopy.limit {
                return { _ in "MAP_SHARED memory of more than \(SharedCopy.limit >> 20) MiB cannot be checked at the end of the trial replay" }
            }
            recorded.append((m, live.readAvailable(m.start, count: Int(m.size))))
        }
        let expected = recorded
        return { memory in
            for (m, runs) in expected {
                for run in runs {
                    guard let now = try? memory.read(run.address, count: run.bytes.count) else {
                        return "MAP_SHARED memory at 0x\(String(run.address, radix: 16)) (\(m.path.isEmpty ? "anonymous" : m.path)) is not readable at the end of the replay"
                    }
                    if now != run.bytes, let i = run.bytes.indices.first(where: { i in i >= now.count || now[i] != run.bytes[i] }) {
                        let at = run.address + UInt64(i)
                        return "MAP_SHARED memory at 0x\(String(at, radix: 16)) (\(m.path.isEmpty ? "anonymous" : m.path)) differs at the end of the replay: another process or the kernel wrote it during the window, and such asynchronous writes are not recorded"
                    }
                }
            }
            return nil
        }
    }
}

extension Recorder {
    /// mremap growing a file mapping: replay grows anonymous memory, so the log holds what the
    /// file shows in the new part (anonymous growth is zeros and needs nothing).
    func grownFileContents(_ process: TracedProcess, number: Int32, args: [UInt64], result: Int64,
                           memory: ProcessMemory) -> [MemoryWrite] {
        guard number == SyscallNumber.mremap, result > 0, args[2] > args[1] else { return [] }
        let start = UInt64(result)
        guard let maps = try? ProcFS.maps(process.pid),
              let m = maps.first(where: { $0.start <= start && start < $0.end }),
              !m.path.isEmpty, !m.path.hasPrefix("[") else { return [] }
        let grown = start + args[1]
        return memory.readAvailable(grown, count: Int(args[2] - args[1])).flatMap { run in
            nonZeroPages(run).map { MemoryWrite(address: $0.address, bytes: $0.bytes) }
        }
    }
}

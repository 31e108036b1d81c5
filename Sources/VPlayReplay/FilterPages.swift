import VPlayABI
import VPlayBundle
import VPlayPatch
import VPlaySyscalls

/// The pages replay maps for filter stubs: one within rel32 reach of every pc where the log has
/// a thread stop in user mode (an asynchronous signal, a preemption), at addresses no recorded
/// mapping ever used, so the window's own mmaps never meet them.
enum FilterPages {
    /// Pcs of the log's asynchronous events in user mode.
    static func points(in log: [LogEvent]) -> [UInt64] {
        var pcs: Set<UInt64> = []
        for e in log {
            switch e {
            case .signal(_, _, _, _, let regs, let synchronous) where !synchronous: pcs.insert(regs.rip)
            case .preemption(_, _, let regs): pcs.insert(regs.rip)
            default: break
            }
        }
        return pcs.sorted()
    }

    /// Every range the recording mapped: at window start, and what the window's calls returned.
    static func taken(_ bundle: VPlayBundle.Bundle) -> [Range<UInt64>] {
        var out = bundle.state.mappings.map { $0.start..<$0.end }
        var entries: [Int32: [UInt64]] = [:]
        for e in bundle.log {
            switch e {
            case .syscallEntry(let tid, _, _, let args, _):
                entries[tid] = args
            case .syscallExit(let tid, _, let number, let result, _) where result > 0:
                let args = entries[tid] ?? []
                let length: UInt64? = number == SyscallNumber.mmap ? args.dropFirst(1).first
                    : number == SyscallNumber.mremap ? args.dropFirst(2).first : nil
                if let length { out.append(UInt64(result)..<UInt64(result) &+ ((length + 0xfff) & ~0xfff)) }
            default:
                break
            }
        }
        return out
    }

    /// One page for each cluster of `pcs`, free in `taken`.
    static func choose(for pcs: [UInt64], taken: [Range<UInt64>]) -> [UInt64] {
        var pages: [UInt64] = []
        for pc in pcs where !pages.contains(where: { FilterStub.reaches($0, pc) }) {
            if let page = free(near: pc, taken: taken + pages.map { $0..<$0 + UInt64(FilterStub.pageSize) }) {
                pages.append(page)
            }
        }
        return pages
    }

    /// The free page nearest below `pc`'s mapping cluster, else above it, within reach.
    static func free(near pc: UInt64, taken: [Range<UInt64>]) -> UInt64? {
        let step: UInt64 = 0x10_0000
        let base = pc & ~(step - 1)
        for k in 1..<1024 {
            for candidate in [base &- UInt64(k) * step, base &+ UInt64(k) * step] {
                guard candidate >= 0x10000, candidate < 0x7fff_ffff_0000, FilterStub.reaches(candidate, pc) else { continue }
                let page = candidate..<candidate + UInt64(FilterStub.pageSize)
                if !taken.contains(where: { $0.overlaps(page) }) { return candidate }
            }
        }
        return nil
    }
}

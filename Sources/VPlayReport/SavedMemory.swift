import VPlayBundle

/// Reads from memory runs of a bundle (the stacks at the crash): a read succeeds only when
/// every byte of it is held, possibly across adjacent runs.
struct SavedMemory: Sendable {
    /// Sorted by address, none empty.
    private let runs: [PageRun]

    init(_ runs: [PageRun]) {
        self.runs = runs.filter { !$0.bytes.isEmpty }.sorted { $0.address < $1.address }
    }

    /// Bytes held in total.
    var byteCount: Int { runs.reduce(0) { $0 + $1.bytes.count } }

    func read(_ address: UInt64, _ count: Int) -> [UInt8]? {
        guard count > 0 else { return count == 0 ? [] : nil }
        guard address <= UInt64.max - UInt64(count) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var cursor = address
        while out.count < count {
            guard let run = run(containing: cursor) else { return nil }
            let from = Int(cursor - run.address)
            let take = min(count - out.count, run.bytes.count - from)
            out += run.bytes[from..<(from + take)]
            cursor += UInt64(take)
        }
        return out
    }

    /// Binary search for the last run starting at or below `address`, then a few steps back
    /// in case runs overlap.
    private func run(containing address: UInt64) -> PageRun? {
        var low = 0, high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].address <= address { low = mid + 1 } else { high = mid }
        }
        for i in stride(from: low - 1, through: max(0, low - 8), by: -1) {
            let run = runs[i]
            if address - run.address < UInt64(run.bytes.count) { return run }
        }
        return nil
    }
}

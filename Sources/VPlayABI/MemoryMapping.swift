// The memory of a process: the lines of /proc/PID/maps, and runs of bytes at an address.

/// One line of /proc/PID/maps.
public struct MemoryMapping: Codable, Equatable, Sendable {
    public var start: UInt64
    public var end: UInt64
    /// "rwxp" / "r-xs" as in /proc/PID/maps.
    public var permissions: String
    public var offset: UInt64
    public var path: String
    public init(start: UInt64, end: UInt64, permissions: String, offset: UInt64, path: String) {
        self.start = start
        self.end = end
        self.permissions = permissions
        self.offset = offset
        self.path = path
    }
    public var size: UInt64 { end - start }
    public var readable: Bool { permissions.hasPrefix("r") }
    public var writable: Bool { permissions.dropFirst().first == "w" }
    public var executable: Bool { permissions.dropFirst(2).first == "x" }
    public var shared: Bool { permissions.dropFirst(3).first == "s" }
}

/// A run of bytes of memory as it was at window start.
public struct PageRun: Equatable, Sendable {
    public var address: UInt64
    public var bytes: [UInt8]
    public init(address: UInt64, bytes: [UInt8]) {
        self.address = address
        self.bytes = bytes
    }
}

extension PageRun {
    /// Pages by address, merged into runs where they are adjacent, in address order.
    public static func merging(_ pages: [UInt64: [UInt8]]) -> [PageRun] {
        var runs: [PageRun] = []
        for address in pages.keys.sorted() {
            guard let bytes = pages[address] else { continue }
            if let last = runs.last, last.address + UInt64(last.bytes.count) == address {
                runs[runs.count - 1].bytes += bytes
            } else {
                runs.append(PageRun(address: address, bytes: bytes))
            }
        }
        return runs
    }
}

import Glibc
import VPlayBundle
import VPlayKernel
import VPlaySymbols

/// What a bundle keeps of the process at its end besides the partial checkpoint: the ELF files
/// it had mapped executable (symbols, unwind tables and debug info for inspect and gdb), and
/// each thread's stack from its stack pointer up (for backtraces at the crash).
enum CrashArtifacts {
    /// Files larger than this are left out (a bundle must stay small).
    static let objectSizeLimit = 256 << 20
    /// Bytes of each stack kept above the stack pointer, and below it (the red zone).
    static let stackAbove: UInt64 = 512 << 10, stackBelow: UInt64 = 128

    static func objects(pid: Int32, maps: [MemoryMapping], warn: (String) -> Void) -> [BundledObject] {
        var seen: Set<String> = []
        var objects: [BundledObject] = []
        for m in maps where m.executable && m.path.hasPrefix("/") && !seen.contains(m.path) {
            seen.insert(m.path)
            guard let bytes = read(pid: pid, mapping: m) else {
                warn("could not read \(m.path) (mapped executable) for the bundle's symbols")
                continue
            }
            guard bytes.count <= objectSizeLimit else {
                warn("\(m.path) is \(bytes.count) bytes, over the \(objectSizeLimit >> 20) MiB limit; its symbols are not in the bundle")
                continue
            }
            let buildID = (try? ELFFile(bytes: bytes)).flatMap { try? $0.buildID() }
            objects.append(BundledObject(path: m.path, buildID: buildID, bytes: bytes))
        }
        return objects
    }

    /// The mapped file itself (map_files works across mount namespaces, e.g. inside a container),
    /// else the path as the process sees it.
    static func read(pid: Int32, mapping m: MemoryMapping) -> [UInt8]? {
        let mapFile = "/proc/\(pid)/map_files/\(String(m.start, radix: 16))-\(String(m.end, radix: 16))"
        for path in [mapFile, "/proc/\(pid)/root\(m.path)"] {
            if let bytes = try? ProcFS.readBytes(path) { return bytes }
        }
        return nil
    }

    static func stacks(pid: Int32, threads: [ThreadSnapshot], maps: [MemoryMapping]) -> [PageRun] {
        guard let memory = try? ProcessMemory(pid: pid) else { return [] }
        var runs: [PageRun] = []
        for t in threads {
            let sp = t.registers.rsp
            guard let m = maps.first(where: { $0.start <= sp && sp < $0.end }) else { continue }
            let start = max(m.start, sp &- stackBelow), end = min(m.end, sp &+ stackAbove)
            guard !runs.contains(where: { $0.address <= start && start < $0.address + UInt64($0.bytes.count) }) else { continue }
            runs += memory.readAvailable(start, count: Int(end - start))
        }
        return runs
    }
}

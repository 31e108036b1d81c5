// The loaded-library list of LiveProcessTarget, read as gdbserver does: the main program's
// dynamic section (found through the auxiliary vector) → DT_DEBUG → r_debug → link_map chain.

import VPlayGDB
import VPlayTestSupport
import VPlayKernel

extension LiveProcessTarget {
    func libraries() throws -> GDBLibraryList {
        guard let rDebug = try debugRendezvous(), rDebug != 0 else { return GDBLibraryList() }
        var list = GDBLibraryList()
        var entry = try memory.readU64(rDebug + 8)  // r_map
        var seen = Set<UInt64>()
        while entry != 0, seen.insert(entry).inserted, seen.count < 4096 {
            // struct link_map { l_addr, l_name, l_ld, l_next, l_prev }
            let (bias, namePointer, dynamic) = (try memory.readU64(entry), try memory.readU64(entry + 8), try memory.readU64(entry + 16))
            if list.mainLinkMap == nil {
                list.mainLinkMap = entry  // the first entry is the program itself
            } else {
                let name = namePointer == 0 ? "" : try memory.readString(namePointer)
                list.libraries.append(GDBLibrary(path: name, linkMap: entry, loadBias: bias, dynamicSection: dynamic))
            }
            entry = try memory.readU64(entry + 24)
        }
        return list
    }

    /// The address of `r_debug`, nil before the dynamic loader has set DT_DEBUG.
    private func debugRendezvous() throws -> UInt64? {
        let auxv = auxvEntries(try auxiliaryVector())
        guard let phdr = auxv[3], let phnum = auxv[5] else { return nil }  // AT_PHDR, AT_PHNUM
        var bias: UInt64 = 0
        var dynamic: UInt64?
        for i in 0..<min(phnum, 256) {
            let header = phdr + i * 56  // Elf64_Phdr
            let type = try memory.read(header, count: 4).withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }
            let vaddr = try memory.readU64(header + 16)
            if type == 6 { bias = phdr &- vaddr }  // PT_PHDR
            if type == 2 { dynamic = vaddr }  // PT_DYNAMIC
        }
        guard let dynamic else { return nil }
        var entry = bias &+ dynamic
        for _ in 0..<1024 {
            let tag = try memory.readU64(entry)
            if tag == 0 { return nil }  // DT_NULL
            if tag == 21 { return try memory.readU64(entry + 8) }  // DT_DEBUG
            entry += 16
        }
        return nil
    }

    private func auxvEntries(_ bytes: [UInt8]) -> [UInt64: UInt64] {
        var out: [UInt64: UInt64] = [:]
        var i = 0
        while i + 16 <= bytes.count {
            let key = bytes[i..<i + 8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let value = bytes[i + 8..<i + 16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            if key == 0 { break }
            out[key] = value
            i += 16
        }
        return out
    }
}

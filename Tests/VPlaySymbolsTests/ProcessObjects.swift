// Builds what a crash bundle would store for a live, ptrace-stopped process: the objects of
// /proc/PID/maps (and the vDSO, read from memory) and the thread's registers.

import Foundation
import VPlayTestSupport
import VPlayKernel
import VPlaySymbols

enum ProcessObjects {
    /// One LoadedObject per mapped file, placed by its mapping with the lowest file offset,
    /// plus the vDSO image read from the process's memory.
    static func loaded(pid: Int32, memory: ProcessMemory) throws -> [LoadedObject] {
        let maps = try ProcFS.maps(pid)
        var first: [String: (start: UInt64, offset: UInt64)] = [:]
        for m in maps where m.path.hasPrefix("/") {
            if let known = first[m.path], known.offset <= m.offset { continue }
            first[m.path] = (m.start, m.offset)
        }
        var objects = try first.map { path, mapping in
            LoadedObject(symbols: try ObjectSymbols(path: path, elf: try readFile(path)),
                         mappingStart: mapping.start, mappingOffset: mapping.offset)
        }
        if let vdso = maps.first(where: { $0.path == "[vdso]" }) {
            let image = try memory.read(vdso.start, count: Int(vdso.end - vdso.start))
            objects.append(LoadedObject(symbols: try ObjectSymbols(path: "[vdso]", elf: image),
                                        mappingStart: vdso.start, mappingOffset: 0))
        }
        return objects
    }

    static func registers(pid: Int32) throws -> UnwindRegisters {
        let r = try Tracee(pid).registers()
        return UnwindRegisters(rip: r.rip, rsp: r.rsp, rbp: r.rbp, rax: r.rax, rbx: r.rbx, rcx: r.rcx, rdx: r.rdx,
                               rsi: r.rsi, rdi: r.rdi, r8: r.r8, r9: r.r9, r10: r.r10, r11: r.r11,
                               r12: r.r12, r13: r.r13, r14: r.r14, r15: r.r15)
    }

    static func reader(_ memory: ProcessMemory) -> MemoryReader {
        { address, count in try? memory.read(address, count: count) }
    }
}

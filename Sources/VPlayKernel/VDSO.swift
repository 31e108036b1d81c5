import VPlayABI

/// Makes the vDSO's time and randomness functions issue real syscalls, so the recorder sees
/// (and logs) what the program read. Without this they read the clock from shared pages.
public enum VDSOPatcher {
    /// Machine code per exported function: `mov eax, NR; syscall; ret` (or a -ENOSYS stub).
    static let patches: [(names: [String], code: [UInt8])] = [
        (["__vdso_clock_gettime", "clock_gettime"], [0xB8, 0xE4, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3]),
        (["__vdso_gettimeofday", "gettimeofday"], [0xB8, 0x60, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3]),
        (["__vdso_time", "time"], [0xB8, 0xC9, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3]),
        (["__vdso_clock_getres", "clock_getres"], [0xB8, 0xE5, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3]),
        (["__vdso_getcpu", "getcpu"], [0xB8, 0x35, 0x01, 0x00, 0x00, 0x0F, 0x05, 0xC3]),
        // vgetrandom answers -ENOSYS so libc falls back to the getrandom syscall.
        (["__vdso_getrandom", "getrandom"], [0x48, 0xC7, 0xC0, 0xDA, 0xFF, 0xFF, 0xFF, 0xC3]),
    ]

    /// Patches the vDSO of `pid` and returns the address of a `syscall` instruction in it
    /// (usable for injection). Throws when the process has no vDSO or it cannot be parsed.
    public static func patch(pid: Int32, memory: ProcessMemory, maps: [MemoryMapping]) throws -> UInt64 {
        guard let vdso = maps.first(where: { $0.path == "[vdso]" }) else {
            throw TraceError("process \(pid) has no [vdso] mapping")
        }
        let image = try memory.read(vdso.start, count: Int(vdso.size))
        let symbols = try ELFSymbols.dynamicSymbols(image)
        let bias = vdso.start &- symbols.loadAddress
        var syscallAddress: UInt64?
        for (names, code) in patches {
            guard let value = names.lazy.compactMap({ symbols.table[$0] }).first, value != 0 else { continue }
            let address = bias &+ value
            try memory.write(address, code)
            if code[5] == 0x0F && syscallAddress == nil { syscallAddress = address + 5 }
        }
        guard let s = syscallAddress else { throw TraceError("vDSO of \(pid) exports no clock_gettime") }
        return s
    }
}

/// Minimal ELF64 reader for an in-memory image: the dynamic symbol table.
public enum ELFSymbols {
    public struct Result {
        public var table: [String: UInt64]
        /// p_vaddr of the first PT_LOAD, to turn symbol values into offsets.
        public var loadAddress: UInt64
    }

    static func u16(_ b: [UInt8], _ o: Int) throws -> UInt64 { try le(b, o, 2) }
    static func u32(_ b: [UInt8], _ o: Int) throws -> UInt64 { try le(b, o, 4) }
    static func u64(_ b: [UInt8], _ o: Int) throws -> UInt64 { try le(b, o, 8) }

    static func le(_ b: [UInt8], _ o: Int, _ n: Int) throws -> UInt64 {
        guard o >= 0, o <= b.count - n else { throw TraceError("ELF image truncated at offset \(o)") }
        var v: UInt64 = 0
        for i in (0..<n).reversed() { v = (v << 8) | UInt64(b[o + i]) }
        return v
    }

    /// A file offset or size from the image, checked to lie within it (never traps).
    static func offset(_ v: UInt64, _ b: [UInt8]) throws -> Int {
        guard v <= UInt64(b.count) else { throw TraceError("ELF offset 0x\(String(v, radix: 16)) outside the image") }
        return Int(v)
    }

    public static func dynamicSymbols(_ b: [UInt8]) throws -> Result {
        guard b.count > 64, b[0] == 0x7f, b[1] == 0x45, b[2] == 0x4c, b[3] == 0x46, b[4] == 2 else {
            throw TraceError("not an ELF64 image")
        }
        let phoff = try offset(u64(b, 0x20), b), phentsize = Int(try u16(b, 0x36)), phnum = Int(try u16(b, 0x38))
        let shoff = try offset(u64(b, 0x28), b), shentsize = Int(try u16(b, 0x3A)), shnum = Int(try u16(b, 0x3C))
        var load: UInt64 = 0
        for i in 0..<phnum where try u32(b, phoff + i * phentsize) == 1 {
            load = try u64(b, phoff + i * phentsize + 0x10)
            break
        }
        var table: [String: UInt64] = [:]
        for i in 0..<shnum {
            let sh = shoff + i * shentsize
            guard try u32(b, sh + 4) == 11 else { continue }  // SHT_DYNSYM
            let symOff = try offset(u64(b, sh + 0x18), b), symSize = try offset(u64(b, sh + 0x20), b)
            let entSize = max(24, try offset(u64(b, sh + 0x38), b))
            let strSh = shoff + Int(try u32(b, sh + 0x28)) * shentsize
            let strOff = try offset(u64(b, strSh + 0x18), b)
            guard symOff <= b.count - symSize else { throw TraceError("ELF symbol table outside the image") }
            for s in stride(from: symOff, to: symOff + symSize, by: entSize) {
                let nameOff = Int(try u32(b, s))
                let value = try u64(b, s + 8)
                var end = strOff + nameOff
                while end < b.count && b[end] != 0 { end += 1 }
                guard strOff + nameOff < end else { continue }
                table[String(decoding: b[(strOff + nameOff)..<end], as: UTF8.self)] = value
            }
        }
        return Result(table: table, loadAddress: load)
    }
}

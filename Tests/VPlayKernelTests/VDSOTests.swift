import CVPlay
import Glibc
import Testing
import VPlayTestSupport
import VPlayBundle
import VPlayKernel

/// Calls getppid() as a marker, then clock_gettime, then getppid() again.
let clockProbeSource = """
    #include <stdio.h>
    #include <time.h>
    #include <unistd.h>
    int main(void) {
        struct timespec ts = {0, 0};
        getppid();
        clock_gettime(CLOCK_MONOTONIC, &ts);
        getppid();
        return ts.tv_sec == 0 && ts.tv_nsec == 0;
    }
    """

let sysGetppid: UInt64 = 110, sysClockGettime: UInt64 = 228

/// This process's vDSO image, read through /proc/self/maps and /proc/self/mem.
func ownVDSOImage() throws -> (mapping: MemoryMapping, image: [UInt8]) {
    let vdso = try #require(try completeMaps(getpid()).first { $0.path == "[vdso]" })
    let image = try ProcessMemory(pid: getpid()).read(vdso.start, count: Int(vdso.size))
    return (vdso, image)
}

extension TracedProcessTests {
    @Suite struct VDSOPatching {
        /// Starts the clock probe, seized, and returns it at its exec event stop.
        func startProbe(_ dir: TempDirectory) throws -> (ChildProcess, gate: Int32) {
            let exe = try compileC(clockProbeSource, name: "clockprobe", in: dir)
            let (pid, gate) = try spawnGated([exe])
            let child = ChildProcess(pid)
            do {
                try Tracee.seize(pid, options: [.traceSysGood, .traceExec, .exitKill])
                release(gate)
                try child.expectStop(.event(.exec, signal: SIGTRAP))
                #expect(ProcFS.executable(pid) == exe)
            } catch {
                child.end()
                close(gate)
                throw error
            }
            return (child, gate)
        }

        @Test func patchReturnsASyscallInstructionInsideTheVdso() throws {
            let dir = try TempDirectory()
            defer { dir.remove() }
            let (child, gate) = try startProbe(dir)
            defer { child.end(); close(gate) }
            let maps = try ProcFS.maps(child.pid)
            let memory = try ProcessMemory(pid: child.pid)
            let address = try VDSOPatcher.patch(pid: child.pid, memory: memory, maps: maps)
            let vdso = try #require(maps.first { $0.path == "[vdso]" })
            #expect(vdso.start <= address && address + 2 <= vdso.end)
            #expect(try memory.read(address, count: 2) == [0x0F, 0x05])
            // The patched clock_gettime: mov eax, 228; syscall; ret.
            #expect(try memory.read(address - 5, count: 8) == [0xB8, 0xE4, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3])
            // Patching again (e.g. a second window) is harmless and gives the same address.
            #expect(try VDSOPatcher.patch(pid: child.pid, memory: memory, maps: maps) == address)
        }

        @Test func afterPatchingClockGettimeIsARealSyscall() throws {
            let dir = try TempDirectory()
            defer { dir.remove() }
            let (child, gate) = try startProbe(dir)
            defer { child.end(); close(gate) }
            let memory = try ProcessMemory(pid: child.pid)
            _ = try VDSOPatcher.patch(pid: child.pid, memory: memory, maps: try ProcFS.maps(child.pid))
            try runToSyscallEntry(child, sysGetppid)
            let between = try syscallEntries(until: sysGetppid, child)
            #expect(between == [sysClockGettime])
            // The program got a real time and exits 0.
            try Tracee(child.pid).resume()
            var status = try child.wait()
            while !status.isTerminal {
                try Tracee(child.pid).resume()
                status = try child.wait()
            }
            #expect(status == .exited(code: 0))
        }

        /// The control: without the patch, clock_gettime never reaches the kernel here
        /// (the clocksource is vDSO-capable), which is why the patch is needed.
        @Test func withoutPatchingClockGettimeStaysInTheVdso() throws {
            let dir = try TempDirectory()
            defer { dir.remove() }
            let (child, gate) = try startProbe(dir)
            defer { child.end(); close(gate) }
            try runToSyscallEntry(child, sysGetppid)
            let between = try syscallEntries(until: sysGetppid, child)
            #expect(!between.contains(sysClockGettime), "clock_gettime made a syscall unpatched: \(between)")
        }

        @Test func patchedSyscallInstructionServesRemoteCaller() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let memory = try ProcessMemory(pid: child.pid)
            let address = try VDSOPatcher.patch(pid: child.pid, memory: memory, maps: try completeMaps(child.pid))
            let caller = try RemoteCaller(Tracee(child.pid), syscallInstruction: address, atEntryStop: false)
            #expect(try caller.call(39) == Int64(child.pid))
            try caller.finish(reissue: false)
            // This process's own vDSO is untouched.
            let (vdso, ownImage) = try ownVDSOImage()
            let childImage = try memory.read(vdso.start, count: Int(vdso.size))
            #expect(childImage != ownImage)
            #expect(Array(ownImage[Int(address - vdso.start) - 5..<Int(address - vdso.start) + 3])
                        != [0xB8, 0xE4, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3])
        }

        /// The recorder passes ProcFS.maps to the patcher; in a process with many mappings (any
        /// Swift, Java or Go program, like this fork of the test binary) the [vdso] line lies
        /// beyond the first 4 KiB of /proc/PID/maps.
        @Test func patchFindsTheVdsoOfAProcessWithManyMappings() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let memory = try ProcessMemory(pid: child.pid)
            let maps = try ProcFS.maps(child.pid)
            let address = try VDSOPatcher.patch(pid: child.pid, memory: memory, maps: maps)
            let vdso = try #require(maps.first { $0.path == "[vdso]" })
            #expect(vdso.start <= address && address < vdso.end)
        }

        @Test func processWithoutAVdsoIsRejected() throws {
            let child = try spawnTracemeStopped()
            defer { child.end() }
            let maps = try completeMaps(child.pid).filter { $0.path != "[vdso]" }
            #expect(throws: TraceError.self) {
                try VDSOPatcher.patch(pid: child.pid, memory: try ProcessMemory(pid: child.pid), maps: maps)
            }
        }
    }
}

@Suite(.timeLimit(.minutes(1))) struct ELFSymbolReading {
    @Test func ownVdsoExportsClockGettime() throws {
        let (vdso, image) = try ownVDSOImage()
        let symbols = try ELFSymbols.dynamicSymbols(image)
        let value = try #require(symbols.table["__vdso_clock_gettime"])
        #expect(value != 0)
        for name in ["__vdso_gettimeofday", "__vdso_time", "__vdso_clock_getres", "__vdso_getcpu"] {
            #expect(symbols.table[name] != nil, "missing \(name)")
        }
        // The symbol lies inside the mapped image, in executable code.
        let offset = value &- symbols.loadAddress
        #expect(offset < vdso.size)
        // The alias without the prefix, where exported, is the same function.
        if let alias = symbols.table["clock_gettime"] { #expect(alias == value) }
    }

    @Test func ownVdsoClockGettimeIsTheOneLibcCalls() throws {
        let (vdso, image) = try ownVDSOImage()
        let symbols = try ELFSymbols.dynamicSymbols(image)
        let value = try #require(symbols.table["__vdso_clock_gettime"])
        let address = vdso.start &+ value &- symbols.loadAddress
        typealias ClockGettime = @convention(c) (Int32, UnsafeMutablePointer<timespec>) -> Int32
        let function = unsafeBitCast(UnsafeRawPointer(bitPattern: UInt(address))!, to: ClockGettime.self)
        var viaVdso = timespec(), viaLibc = timespec()
        #expect(clock_gettime(CLOCK_MONOTONIC, &viaLibc) == 0)
        #expect(function(CLOCK_MONOTONIC, &viaVdso) == 0)
        let libc = Double(viaLibc.tv_sec) + Double(viaLibc.tv_nsec) / 1e9
        let vdsoTime = Double(viaVdso.tv_sec) + Double(viaVdso.tv_nsec) / 1e9
        #expect(vdsoTime >= libc && vdsoTime - libc < 5)
    }

    @Test(arguments: [
        [UInt8](),
        Array("hello, world".utf8),
        [UInt8](repeating: 0, count: 4096),
        [0x7f, 0x45, 0x4c, 0x46],                                        // magic only
        [0x7f, 0x45, 0x4c, 0x46, 1] + [UInt8](repeating: 0, count: 200), // ELF32
        [0x7f, 0x45, 0x4c, 0x46, 2] + [UInt8](repeating: 0, count: 59),  // 64-byte header, nothing else
    ])
    func nonELFInputIsRejected(bytes: [UInt8]) {
        #expect(throws: TraceError.self) { try ELFSymbols.dynamicSymbols(bytes) }
    }

    @Test func truncatedVdsoImagesAreRejected() throws {
        let (_, image) = try ownVDSOImage()
        let shoff = Int(image[0x28..<0x30].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let phoff = Int(image[0x20..<0x28].withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        #expect(shoff > 0 && shoff < image.count)
        // Cut inside the ELF header, the program headers, and the section headers.
        for length in [0, 1, 16, 63, 64, 65, 0x3c, phoff + 10, shoff / 2, shoff, shoff + 2, shoff + 64 + 10] {
            #expect(throws: TraceError.self, "length \(length)") {
                try ELFSymbols.dynamicSymbols(Array(image.prefix(length)))
            }
        }
    }

    @Test func corruptedVdsoImagesThrowOrParseButNeverCrash() throws {
        // Flip the low bit of every header byte in turn: counts, sizes and offsets change but stay
        // small, so each attempt must give a result or a thrown error.
        let (_, image) = try ownVDSOImage()
        for i in 0..<0x40 {
            var bad = image
            bad[i] ^= 0x01
            _ = try? ELFSymbols.dynamicSymbols(bad)
        }
    }

    /// Offsets near 2^63 and beyond must be rejected with an error, not trap in an Int
    /// conversion or an overflowing addition. Each case runs in its own process so that a
    /// trap is observed as such (exit 0: thrown, exit 1: parsed, signal: crashed).
    @Test(arguments: [
        ("phoff beyond Int.max", 0x20, UInt64.max),
        ("phoff at Int.max", 0x20, UInt64(Int.max)),
        ("shoff beyond Int.max", 0x28, UInt64.max),
        ("shoff at Int.max", 0x28, UInt64(Int.max)),
    ])
    func hugeHeaderOffsetsAreRejectedWithoutCrashing(name: String, field: Int, value: UInt64) async {
        await #expect(processExitsWith: .success, "\(name)") { [field, value] in
            var image = [UInt8](repeating: 0, count: 256)
            image[0..<5] = [0x7f, 0x45, 0x4c, 0x46, 2]
            image[0x36] = 56; image[0x38] = 1  // one program header
            image[0x3A] = 64; image[0x3C] = 1  // one section header
            image[0x20] = 64                    // phoff
            image[0x28] = 128                   // shoff
            withUnsafeBytes(of: value.littleEndian) { image[field..<field + 8] = ArraySlice($0) }
            exit((try? ELFSymbols.dynamicSymbols(image)) == nil ? 0 : 1)
        }
    }

    /// A section header whose dynsym offset or size is huge.
    @Test(arguments: [0x18, 0x20])  // sh_offset, sh_size
    func hugeSymbolTableOffsetsAreRejectedWithoutCrashing(field: Int) async {
        await #expect(processExitsWith: .success) { [field] in
            var image = [UInt8](repeating: 0, count: 512)
            image[0..<5] = [0x7f, 0x45, 0x4c, 0x46, 2]
            image[0x36] = 56                    // phentsize, phnum 0
            image[0x3A] = 64; image[0x3C] = 1   // one section header at 128
            image[0x28] = 128
            image[128 + 4] = 11                 // SHT_DYNSYM
            image[128 + 0x20] = 24              // sh_size: one symbol
            for i in 0..<8 { image[128 + field + i] = 0xff }
            exit((try? ELFSymbols.dynamicSymbols(image)) == nil ? 0 : 1)
        }
    }
}

import Testing
@testable import VPlaySyscalls

@Suite("strace-like decoding from the table")
struct FormatterTests {
    @Test func openatShowsDirfdPathAndFlags() {
        let text = SyscallFormatter.describe(number: 257, args: [UInt64(bitPattern: -100), 0x1000, 0o2000000, 0, 0, 0],
                                             strings: ["/etc/app.conf"], result: 3)
        #expect(text == #"openat(AT_FDCWD, "/etc/app.conf", O_RDONLY|O_CLOEXEC) = 3"#)
    }

    @Test func theModeIsShownOnlyWhenTheCallCanCreateAFile() {
        let create = SyscallFormatter.describe(number: 257, args: [UInt64(bitPattern: -100), 0x1000, 0o1101, 0o644, 0, 0],
                                               strings: ["/tmp/out"], result: 4)
        #expect(create == #"openat(AT_FDCWD, "/tmp/out", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4"#)
        let open = SyscallFormatter.describe(number: 2, args: [0x1000, 0, 0o777, 0, 0, 0], strings: ["/etc/passwd"], result: 3)
        #expect(open == #"open("/etc/passwd", O_RDONLY) = 3"#)
    }

    @Test func longBuffersAreCutAfter32BytesWithAnEllipsisAfterTheQuote() {
        let data = Array("0123456789abcdefghijklmnopqrstuvwxyz\n".utf8)
        let text = SyscallFormatter.describe(number: 0, args: [3, 0x7000, 4096, 0, 0, 0], strings: [], result: Int64(data.count),
                                             written: [(0x7000, data)])
        #expect(text == #"read(3, "0123456789abcdefghijklmnopqrstuv"..., 4096) = 37"#)
    }

    @Test func readShowsTheBytesTheKernelWrote() {
        let data = Array("key=1\n".utf8)
        let text = SyscallFormatter.describe(number: 0, args: [3, 0x7000, 4096, 0, 0, 0], strings: [], result: 6,
                                             written: [(0x7000, data)])
        #expect(text == #"read(3, "key=1\n", 4096) = 6"#)
    }

    @Test func mmapShowsProtAndMapFlagsAndAHexAddress() {
        let text = SyscallFormatter.describe(number: 9, args: [0, 4096, 1, 2, 3, 0], strings: [], result: 0x7f00_0000_0000)
        #expect(text == "mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f0000000000")
    }

    @Test func errorsShowTheirErrnoName() {
        let text = SyscallFormatter.describe(number: 257, args: [UInt64(bitPattern: -100), 0x1000, 0, 0, 0, 0],
                                             strings: ["/nope"], result: -2)
        #expect(text.hasSuffix("= -1 ENOENT (No such file or directory)"))
    }

    @Test func aCallThatNeverReturnedShowsAQuestionMark() {
        #expect(SyscallFormatter.describe(number: 231, args: [3, 0, 0, 0, 0, 0], strings: [], result: nil) == "exit_group(3) = ?")
    }

    @Test func binaryStructsShowTheirSize() {
        let text = SyscallFormatter.describe(number: 5, args: [1, 0x9000, 0, 0, 0, 0], strings: [], result: 0,
                                             written: [(0x9000, [UInt8](repeating: 0, count: 144))])
        #expect(text == "fstat(1, {144 bytes}) = 0")
    }
}

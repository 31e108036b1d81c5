// ioctl: known requests first (the old terminal and socket requests carry no _IOC bits), then
// the _IOC direction and size bits. A request that succeeded with neither is unsupported.

extension Irregular {
    static func ioctl(_ call: Call) throws -> [WrittenRegion] {
        // A failed ioctl stores nothing, which spares isatty-style probes of unknown requests.
        guard call.succeeded else { return [] }
        let request = UInt32(truncatingIfNeeded: call.arg(1))   // the kernel takes an unsigned int
        let argp = call.arg(2)
        if let size = IoctlRequests.writes[request] { return call.region(at: argp, length: size) }
        if IoctlRequests.noWrites.contains(request) { return [] }
        if request == IoctlRequests.SIOCGIFCONF { return try ifconf(call, at: argp) }
        let direction = request >> 30, size = Int(request >> 16 & 0x3fff)
        if direction == 1 { return [] }                         // _IOC_WRITE: the kernel only reads
        if direction & 2 != 0, size > 0 { return call.region(at: argp, length: size) }  // _IOC_READ(|WRITE)
        throw call.unsupported(
            "ioctl request 0x\(hex(UInt64(request))) has no _IOC direction and size and is not known to vplay")
    }

    /// struct ifconf { int ifc_len; char *ifc_buf; }: the kernel stores the length it filled
    /// (or, with a null buffer, the length it would need) and fills the buffer.
    private static func ifconf(_ call: Call, at address: UInt64) throws -> [WrittenRegion] {
        guard address != 0 else { return [] }
        let ifconf = try call.read(address, 16)
        let length = Int(Int32(truncatingIfNeeded: try ifconf.u32(0)))
        return call.region(at: address, length: 4) + call.region(at: try ifconf.u64(8), length: length)
    }
}

enum IoctlRequests {
    static let SIOCGIFCONF: UInt32 = 0x8912

    /// Requests without usable _IOC bits that store a struct at argp, by size.
    static let writes: [UInt32: Int] = [
        0x0001: 4,      // FIBMAP: the block number, an int read and written in place
        0x0002: 4,      // FIGETBSZ: the file system's block size, an int
        0x5401: 36,     // TCGETS: the kernel's struct termios (NCCS 19), not glibc's 60-byte one
        0x5405: 18,     // TCGETA: struct termio
        0x540F: 4,      // TIOCGPGRP
        0x5411: 4,      // TIOCOUTQ / SIOCOUTQ
        0x5413: 8,      // TIOCGWINSZ
        0x5415: 4,      // TIOCMGET
        0x5419: 4,      // TIOCGSOFTCAR
        0x541B: 4,      // FIONREAD / TIOCINQ / SIOCINQ
        0x5424: 4,      // TIOCGETD
        0x5429: 4,      // TIOCGSID
        0x5456: 36,     // TIOCGLCKTRMIOS
        0x5460: 8,      // FIOQSIZE
        0x4B33: 1,      // KDGKBTYPE
        0x4B3B: 4,      // KDGETMODE
        0x4B44: 4,      // KDGKBMODE
        0x5601: 8,      // VT_GETMODE
        0x5603: 6,      // VT_GETSTATE
        0x8903: 4,      // FIOGETOWN
        0x8904: 4,      // SIOCGPGRP
        0x8905: 4,      // SIOCATMARK
        0x8906: 16,     // SIOCGSTAMP: timeval
        0x8907: 16,     // SIOCGSTAMPNS: timespec
        0x894B: 4,      // SIOCOUTQNSD
        // SIOCGIF*: the answer is stored in the 40-byte struct ifreq passed in.
        0x8910: 40, 0x8913: 40, 0x8915: 40, 0x8917: 40, 0x8919: 40, 0x891B: 40, 0x891D: 40,
        0x8921: 40, 0x8927: 40, 0x8933: 40, 0x8935: 40, 0x8942: 40, 0x8947: 40, 0x8948: 40,
        0x8970: 40,
    ]

    /// Requests without usable _IOC bits that store nothing.
    static let noWrites: Set<UInt32> = [
        0x5402, 0x5403, 0x5404,         // TCSETS, TCSETSW, TCSETSF
        0x5406, 0x5407, 0x5408,         // TCSETA, TCSETAW, TCSETAF
        0x5409, 0x540A, 0x540B,         // TCSBRK, TCXONC, TCFLSH
        0x540C, 0x540D, 0x540E,         // TIOCEXCL, TIOCNXCL, TIOCSCTTY
        0x5410, 0x5412, 0x5414,         // TIOCSPGRP, TIOCSTI, TIOCSWINSZ
        0x5416, 0x5417, 0x5418, 0x541A, // TIOCMBIS, TIOCMBIC, TIOCMSET, TIOCSSOFTCAR
        0x541D, 0x5420, 0x5421, 0x5422, // TIOCCONS, TIOCPKT, FIONBIO, TIOCNOTTY
        0x5423, 0x5425, 0x5427, 0x5428, // TIOCSETD, TCSBRKP, TIOCSBRK, TIOCCBRK
        0x5437, 0x5441, 0x5457,         // TIOCVHANGUP, TIOCGPTPEER (returns an fd), TIOCSLCKTRMIOS
        0x5450, 0x5451, 0x5452,         // FIONCLEX, FIOCLEX, FIOASYNC
        0x8901, 0x8902,                 // FIOSETOWN, SIOCSPGRP
        0x890B, 0x890C,                 // SIOCADDRT, SIOCDELRT
        0x8914, 0x8916, 0x8918, 0x891A, // SIOCSIFFLAGS, SIOCSIFADDR, SIOCSIFDSTADDR, SIOCSIFBRDADDR
        0x891C, 0x891E, 0x8922, 0x8923, // SIOCSIFNETMASK, SIOCSIFMETRIC, SIOCSIFMTU, SIOCSIFNAME
        0x8924, 0x8943, 0x894C,         // SIOCSIFHWADDR, SIOCSIFTXQLEN, SIOCGSKNS (returns an fd)
    ]
}

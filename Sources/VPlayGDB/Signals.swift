/// Conversion between Linux signal numbers (what targets speak) and gdb's own signal
/// numbering (what the remote protocol carries: include/gdb/signals.def).
public enum GDBSignal {
    /// gdb's number for "unknown signal".
    public static let unknown: UInt8 = 143

    /// Linux x86-64 number → gdb number, for the irregular part (1-31, 32).
    private static let fromLinuxTable: [Int32: UInt8] = [
        1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 10, 8: 8, 9: 9, 10: 30, 11: 11, 12: 31,
        13: 13, 14: 14, 15: 15, 17: 20, 18: 19, 19: 17, 20: 18, 21: 21, 22: 22, 23: 16,
        24: 24, 25: 25, 26: 26, 27: 27, 28: 28, 29: 23, 30: 32, 31: 12, 32: 77,
    ]

    private static let toLinuxTable: [UInt8: Int32] = {
        var t: [UInt8: Int32] = [:]
        for (linux, gdb) in fromLinuxTable { t[gdb] = linux }
        return t
    }()

    /// The gdb signal number for a Linux one (0 stays 0).
    public static func fromLinux(_ signal: Int32) -> UInt8 {
        if signal == 0 { return 0 }
        if let v = fromLinuxTable[signal] { return v }
        if (33...63).contains(signal) { return UInt8(signal + 12) }   // REALTIME_33 is 45
        if (64...127).contains(signal) { return UInt8(signal + 14) }  // REALTIME_64 is 78
        return unknown
    }

    /// The Linux signal number for a gdb one; nil when Linux has no such signal.
    public static func toLinux(_ signal: UInt8) -> Int32? {
        if signal == 0 { return 0 }
        if let v = toLinuxTable[signal] { return v }
        if (45...75).contains(signal) { return Int32(signal) - 12 }
        if (78...141).contains(signal) { return Int32(signal) - 14 }
        return nil
    }
}

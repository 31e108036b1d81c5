// The files generated from the table: named syscall numbers for Swift (the kernel-ABI base
// module, VPlayABI) and for C (the shim and the BPF programs). Record, replay and the BPF side
// switch on these names, never on literals; a test keeps the committed files equal to what
// this prints (VPLAY_REGENERATE=1 rewrites them).

extension SyscallTable {
    /// Every named number, in order.
    static var namedNumbers: [(name: String, number: Int)] {
        names.enumerated().compactMap { number, name in name.map { ($0, number) } }
    }

    public static func generatedSwiftConstants() -> String {
        var out = """
            // Generated from the syscall table (Sources/VPlaySyscalls/Names.swift) by
            // SyscallTable.generatedSwiftConstants(); do not edit. VPLAY_REGENERATE=1 swift test
            // --filter GeneratedFiles rewrites it.

            /// x86_64 system call numbers, named as the kernel names them.
            public enum SyscallNumber {

            """
        for (name, number) in namedNumbers {
            out += "    public static let \(name): Int32 = \(number)\n"
        }
        out += "}\n"
        return out
    }

    public static func generatedCHeader() -> String {
        var out = """
            /* Generated from the syscall table (Sources/VPlaySyscalls/Names.swift) by
             * SyscallTable.generatedCHeader(); do not edit. VPLAY_REGENERATE=1 swift test
             * --filter GeneratedFiles rewrites it. */
            #ifndef VPLAY_SYSCALL_NUMBERS_H
            #define VPLAY_SYSCALL_NUMBERS_H

            """
        for (name, number) in namedNumbers {
            out += "#define VPLAY_NR_\(name) \(number)\n"
        }
        out += "#define VPLAY_NR_LAST \(lastNumber)\n\n#endif\n"
        return out
    }
}

// errno values of the x86_64 Linux ABI.

/// Linux errno values (a syscall's failed result is the negative), and the kernel-internal
/// restart codes a tracer sees at the exit stop of an interrupted call.
public enum Errno {
    public static let EINTR: Int64 = 4
    public static let E2BIG: Int64 = 7
    public static let EFAULT: Int64 = 14
    public static let EINVAL: Int64 = 22
    public static let ENOSYS: Int64 = 38
    public static let EOVERFLOW: Int64 = 75
    // Kernel-internal codes a tracer sees at the syscall-exit stop of an interrupted call,
    // before signal delivery turns them into EINTR or a restart.
    public static let ERESTARTSYS: Int64 = 512
    public static let ERESTARTNOINTR: Int64 = 513
    public static let ERESTARTNOHAND: Int64 = 514
    public static let ERESTART_RESTARTBLOCK: Int64 = 516
}

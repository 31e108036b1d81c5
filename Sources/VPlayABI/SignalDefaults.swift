// What the kernel does with a signal nobody catches.

import Glibc

public enum SignalDefaults {
    /// Signals whose default action stops, continues or ignores the process rather than ending it.
    public static let nonTerminating: Set<Int32> = [SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH]
}

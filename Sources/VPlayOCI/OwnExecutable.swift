import Foundation

/// The running program's own file: what /proc/self/exe leads to, else argv[0]. The hook writes
/// it into hook entries and starts its monitor from it; the shim finds vplay-hook next to it.
public enum OwnExecutable {
    public static var path: String {
        do {
            return try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        } catch {
            return CommandLine.arguments[0]  // no /proc: the name it was started by
        }
    }
}

// An OCI runtime's command line, as runc (and crun) take it: global options, a subcommand, its
// arguments. vplay-runtime reads it only to find `create`/`run` and their bundle; it passes the
// command line on to the real runtime unchanged.

public struct RuntimeCommandLine: Equatable, Sendable {
    /// Without argv[0].
    public let arguments: [String]
    /// The first argument that is not a global option (or an option's value).
    public let subcommand: String?
    let subcommandIndex: Int?

    /// runc's global options that take a value (the next argument, unless written `--opt=value`).
    static let valuedGlobals: Set<String> = ["--root", "--log", "--log-format", "--criu", "--rootless"]

    public init(_ arguments: [String]) {
        self.arguments = arguments
        var i = 0
        var found: Int?
        while i < arguments.count {
            let a = arguments[i]
            if a == "--" || !a.hasPrefix("-") {
                found = a == "--" ? (i + 1 < arguments.count ? i + 1 : nil) : i
                break
            }
            i += Self.valuedGlobals.contains(a) ? 2 : 1
        }
        subcommandIndex = found
        subcommand = found.map { arguments[$0] }
    }

    /// `create` and `run` make a container from a bundle: the commands the shim edits for.
    public var createsContainer: Bool { subcommand == "create" || subcommand == "run" }

    /// The bundle of `create`/`run`: `--bundle DIR`, `-b DIR` or `--bundle=DIR`, else the
    /// working directory (as runc takes it).
    public func bundle(workingDirectory: String) -> String {
        guard let start = subcommandIndex else { return workingDirectory }
        var i = start + 1
        while i < arguments.count {
            let a = arguments[i]
            if a == "--bundle" || a == "-b" { return i + 1 < arguments.count ? arguments[i + 1] : workingDirectory }
            if a.hasPrefix("--bundle=") { return String(a.dropFirst("--bundle=".count)) }
            if a.hasPrefix("-b="), a.count > 3 { return String(a.dropFirst(3)) }
            i += 1
        }
        return workingDirectory
    }
}

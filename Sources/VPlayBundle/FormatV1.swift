/// The member names and order of format versions 1 and 2 (see docs/bundle-format.md).
/// Version 2 adds the mapped ELF objects and the crash-time stacks.
enum FormatV1 {
    static let manifest = "manifest.json"
    static let state = "state.json"
    static let pages = "pages.bin.zst"
    static let log = "log.bin.zst"
    static let objects = "objects.bin.zst"
    static let crashMemory = "crash-memory.bin.zst"
    /// The parts listed in the manifest's `parts` table, in archive order.
    static let parts = [state, pages, log, objects, crashMemory]
    /// `sha256sum` line for manifest.json; last, because the manifest cannot hold its own hash.
    static let manifestHash = "manifest.json.sha256"
    static let members = [manifest] + parts + [manifestHash]

    static func parts(version: Int) -> [String] { version >= 2 ? parts : [state, pages, log] }
    static func members(version: Int) -> [String] { [manifest] + parts(version: version) + [manifestHash] }

    static func manifestHashLine(_ manifestBytes: [UInt8]) -> String {
        "\(SHA256.hex(manifestBytes))  \(manifest)\n"
    }
}

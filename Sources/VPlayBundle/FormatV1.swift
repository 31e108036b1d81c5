/// The member names and order of format version 1 (see docs/bundle-format.md).
enum FormatV1 {
    static let manifest = "manifest.json"
    static let state = "state.json"
    static let pages = "pages.bin.zst"
    static let log = "log.bin.zst"
    /// The parts listed in the manifest's `parts` table, in archive order.
    static let parts = [state, pages, log]
    /// `sha256sum` line for manifest.json; last, because the manifest cannot hold its own hash.
    static let manifestHash = "manifest.json.sha256"
    static let members = [manifest] + parts + [manifestHash]

    static func manifestHashLine(_ manifestBytes: [UInt8]) -> String {
        "\(SHA256.hex(manifestBytes))  \(manifest)\n"
    }
}

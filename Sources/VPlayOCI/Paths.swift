// Path helpers: lexical normalisation and symlink resolution of the longest existing prefix,
// so that "is this directory inside the rootfs?" is answered for paths that do not exist yet.

import Foundation

#if canImport(Glibc)
import Glibc
#endif

enum Paths {
    /// `path` made absolute against `base` (when relative) and normalised lexically
    /// (no `.`, `..`, `//`, trailing `/`).
    static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base : base + "/") + path
        return normalize(joined)
    }

    /// Lexical normalisation of an absolute path.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Resolves symlinks in the longest existing prefix of the absolute path `path` and appends
    /// the rest unchanged.
    static func resolved(_ path: String) -> String {
        var existing = normalize(path)
        var rest: [String] = []
        while existing != "/" {
            if let real = realpathString(existing) {
                return normalize(real + (rest.isEmpty ? "" : "/" + rest.reversed().joined(separator: "/")))
            }
            let url = URL(fileURLWithPath: existing)
            rest.append(url.lastPathComponent)
            existing = normalize(url.deletingLastPathComponent().path)
        }
        return normalize("/" + rest.reversed().joined(separator: "/"))
    }

    /// True when `path` is `ancestor` or below it (component-wise, after normalisation).
    static func isSameOrInside(_ path: String, _ ancestor: String) -> Bool {
        let p = normalize(path), a = normalize(ancestor)
        if a == "/" { return true }
        return p == a || p.hasPrefix(a + "/")
    }

    private static func realpathString(_ path: String) -> String? {
        guard let r = realpath(path, nil) else { return nil }
        defer { free(r) }
        return String(cString: r)
    }
}

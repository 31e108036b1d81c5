// The hooks.d JSON (schema version 1.0.0) read by podman (`--hooks-dir`) and CRI-O
// (`hooks_dir`): run vplay-hook at one stage for containers whose `io.vplay.record`
// annotation is 1, true or yes. `when.annotations` keys and values are regular expressions.

import Foundation

public enum HooksDirectory {
    /// The stages vplay installs: the monitor starts at createRuntime (or prestart) and
    /// poststop waits for it.
    public static let stages = ["createRuntime", "prestart", "poststop"]
    /// Regexes for `when.annotations`.
    public static let annotationKeyPattern = #"^io\.vplay\.record$"#
    public static let annotationValuePattern = "^(1|true|yes)$"
    /// The file name used in `oci-hooks/` for a stage, e.g. vplay-createruntime.json.
    public static func fileName(stage: String) -> String { "vplay-\(stage.lowercased()).json" }

    /// hooks.d JSON for one stage:
    /// `{"version":"1.0.0","hook":{"path":…,"args":["vplay-hook",stage]},
    ///   "when":{"annotations":{"^io\\.vplay\\.record$":"^(1|true|yes)$"}},"stages":[stage]}`,
    /// pretty-printed with keys in that order, ending in a newline.
    public static func json(hookPath: String, stage: String) -> Data {
        let q = quote
        let text = """
            {
              "version": "1.0.0",
              "hook": {
                "path": \(q(hookPath)),
                "args": [\(q(HookInstaller.hookName)), \(q(stage))]
              },
              "when": {
                "annotations": {
                  \(q(annotationKeyPattern)): \(q(annotationValuePattern))
                }
              },
              "stages": [\(q(stage))]
            }

            """
        return Data(text.utf8)
    }

    /// JSON string literal for `s`.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

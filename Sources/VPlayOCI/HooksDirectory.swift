// The hooks.d JSON (schema version 1.0.0) read by podman (`--hooks-dir`) and CRI-O
// (`hooks_dir`): run vplay-hook at one stage for containers whose `io.vplay.record`
// annotation is 1, true or yes. `when.annotations` keys and values are regular expressions.

import Foundation
import VPlayJSON

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
    /// `{"hook":{"args":["vplay-hook",stage],"path":…},"stages":[stage],"version":"1.0.0",
    ///   "when":{"annotations":{"^io\\.vplay\\.record$":"^(1|true|yes)$"}}}`,
    /// written by vplay's one JSON writer (pretty, keys sorted), ending in a newline.
    public static func json(hookPath: String, stage: String) -> Data {
        let document = JSONValue.object([
            "version": .string("1.0.0"),
            "hook": .object(["path": .string(hookPath),
                             "args": .array([.string(HookInstaller.hookName), .string(stage)])]),
            "when": .object(["annotations": .object([annotationKeyPattern: .string(annotationValuePattern)])]),
            "stages": .array([.string(stage)]),
        ])
        return Data(document.printed.utf8)
    }
}

import Foundation

/// Small helpers for laying out the text report in columns.
enum TextLayout {
    /// Width of the labels in a section's `label  value` lines.
    static let labelWidth = 10

    /// `  label     value`.
    static func field(_ label: String, _ value: String) -> String {
        "  " + padded(label, labelWidth - 1) + " " + value
    }

    static func padded(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }

    static func rightAligned(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
    }

    /// `0x00007f12345678ab`: full width, so columns of addresses line up.
    static func address(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// `1.9 MiB`, `520 KiB`, `812 B`.
    static func size(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        return String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    static func size(_ bytes: Int) -> String { size(UInt64(max(0, bytes))) }

    /// A section heading after a blank line.
    static func heading(_ title: String) -> [String] { ["", title] }

    /// One line, whatever the value holds (names and paths come from the recorded process).
    static func oneLine(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }
}

/// Byte counts for people, as the report prints them (`1.9 MiB`).
public enum TextSize {
    public static func format(_ bytes: UInt64) -> String { TextLayout.size(bytes) }
}

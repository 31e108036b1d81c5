import VPlayBundle

/// Puts every event of a bundle's log on one clock: nanoseconds since the bundle's window start.
///
/// Bundles with `log.timeBase` are written that way. Older ones joined the recorder's previous
/// and current windows without converting: the second window's events count from its own start,
/// which shows as the one place where time goes backwards. Its true start is not recorded; it
/// lies after the previous window's last event and early enough for its last event to precede
/// the end (the process end is on the bundle's clock), and a window lasts `window.seconds`.
enum LogClock {
    static func unified(_ log: [LogEvent], manifest: Manifest) -> (log: [LogEvent], note: String?) {
        guard manifest.log.timeBase == nil else { return (log, nil) }
        var end = log.endIndex
        if case .processEnd? = log.last { end -= 1 }
        guard end > 1, let join = (1..<end).first(where: { log[$0].time < log[$0 - 1].time }) else { return (log, nil) }
        let earliest = log[join - 1].time
        let segmentEnd = log[join..<end].map(\.time).max() ?? 0
        var offset = max(earliest, UInt64(max(0, manifest.window.seconds) * 1e9))
        if end < log.endIndex, log[end].time >= segmentEnd {
            offset = max(earliest, min(offset, log[end].time - segmentEnd))
        }
        var unified = log
        for i in join..<end { unified[i] = log[i].delayed(by: offset) }
        let note = "the log's second window was timed from its own start (a bundle written before log.timeBase): "
            + "its times are estimated from the window length"
        return (unified, note)
    }
}

/// Every recorder's window snapshots as of one instant, merged once: a scrape (or the
/// status page) reads them for the window families and again for thresholds, and merging
/// a window's slots is the costly part of rendering. Not thread-safe: one per rendering.
public final class WindowSnapshotMemo {
    /// The instant every snapshot is taken at, in monotonic nanoseconds.
    public let now: UInt64
    private var cache: [ObjectIdentifier: [WindowSnapshot]] = [:]

    /// An empty memo for the instant `now` (monotonic nanoseconds).
    public init(now: UInt64) {
        self.now = now
    }

    /// `recorder.windowSnapshots(now:)`, computed on first use.
    public func snapshots(_ recorder: ProbeRecorder) -> [WindowSnapshot] {
        let id = ObjectIdentifier(recorder)
        if let hit = cache[id] { return hit }
        let s = recorder.windowSnapshots(now: now)
        cache[id] = s
        return s
    }
}

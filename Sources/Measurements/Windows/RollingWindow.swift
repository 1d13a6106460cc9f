import Probes

/// A window that slides over time: a ring of `WindowSpec.slotsPerWindow` slots, each
/// `length / slots` long. A slot is reset lazily when time comes back round to it, and
/// readers skip slots older than the window, so an idle window empties by itself.
/// The window covers the current (partial) slot and the previous `slots − 1` ones:
/// between 11/12 and 12/12 of its length.
public struct RollingWindow: Sendable {
    /// The window's name and length.
    public let spec: WindowSpec
    let slotNanos: UInt64
    var slots: [WindowSlot]
    /// The slot epoch (monotonic ns / slotNanos) each slot holds; `.max`: never used.
    var epochs: [UInt64]
    /// When the window started collecting (monotonic ns), to divide counts while it fills.
    let createdAt: UInt64

    /// An empty window of `spec` for a probe with `checkCount` checks, collecting from `now` (monotonic nanoseconds).
    public init(_ spec: WindowSpec, checkCount: Int, extras: WindowExtras = WindowExtras(), now: UInt64 = MonotonicClock.now()) {
        self.spec = spec
        let n = WindowSpec.slotsPerWindow
        slotNanos = max(1_000_000, UInt64(spec.seconds * 1e9) / UInt64(n))
        slots = Array(repeating: WindowSlot(checkCount: checkCount, extras: extras), count: n)
        epochs = Array(repeating: .max, count: n)
        createdAt = now
    }

    /// The slot for time `now`, reset if it last held an older epoch.
    mutating func slotIndex(at now: UInt64) -> Int {
        let epoch = now / slotNanos
        let i = Int(epoch % UInt64(slots.count))
        if epochs[i] != epoch {
            slots[i].reset()
            epochs[i] = epoch
        }
        return i
    }

    /// The window's slots merged as of `now`, and the seconds they cover (at most the
    /// window's length, less while the window is still filling).
    public func merged(now: UInt64) -> (slot: WindowSlot, seconds: Double) {
        let current = now / slotNanos
        let oldest = current >= UInt64(slots.count - 1) ? current - UInt64(slots.count - 1) : 0
        var out = WindowSlot(checkCount: slots[0].checkPasses.count, extras: slots[0].extras)
        for i in 0..<slots.count where epochs[i] != .max && epochs[i] >= oldest && epochs[i] <= current {
            out.merge(slots[i])
        }
        let start = max(oldest * slotNanos, createdAt)
        let seconds = now > start ? Double(now - start) / 1e9 : 0
        return (out, seconds)
    }

    /// The window's slots oldest first, as of `now`, each with its start (monotonic ns);
    /// nil for a slot with no data in the window. For sparklines.
    public func series(now: UInt64) -> [(start: UInt64, slot: WindowSlot?)] {
        let current = now / slotNanos
        let n = UInt64(slots.count)
        return (0..<n).map { k in
            let epoch = current + 1 >= n - k ? current + 1 - (n - k) : 0
            let i = Int(epoch % n)
            let fresh = epochs[i] == epoch && slots[i].requests > 0
            return (epoch * slotNanos, fresh ? slots[i] : nil)
        }
    }

    /// Bytes of histogram storage held (for the memory budget).
    public var storageBytes: Int {
        slots.reduce(0) { $0 + $1.latency.storageBytes + $1.trends.reduce(0) { $0 + $1.storageBytes } + $1.statusDurations.reduce(0) { $0 + $1.storageBytes } + MemoryLayout<WindowSlot>.stride + 2 * $1.checkPasses.capacity * 8 }
    }
}


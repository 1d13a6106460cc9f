import Probes
@testable import Measurements

/// Test access to WindowSet internals.
enum WindowSetProbe {
    static func record(_ set: inout WindowSet, micros: Int64, at t: UInt64) {
        var r = RequestResult(probe: 0)
        r.status = 200
        r.duration = micros
        r.success = true
        r.finishedAt = t
        set.record(r)
    }

    static func snapshots(_ set: WindowSet, now: UInt64) -> [WindowSnapshot] {
        set.snapshots(now: now)
    }
}

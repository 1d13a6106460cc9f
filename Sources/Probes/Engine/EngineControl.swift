import CCurl
import KalmSupport
import Synchronization

/// State the engine threads share with the rest of the process: the stop request,
/// the live VU counts, and the multi handles to wake.
final class EngineControl: Sendable {
    let stopRequested = Atomic<Bool>(false)
    /// Monotonic ns deadline for in-flight requests after a stop request.
    let stopGrace = Atomic<UInt64>(0)
    /// Active VUs per [thread][probe].
    let activeVUs: Locked<[[Int]]>
    private let multis: Locked<[OpaquePointer?]>

    init(threads: Int, probes: Int) {
        activeVUs = Locked(Array(repeating: Array(repeating: 0, count: probes), count: threads))
        multis = Locked(Array(repeating: nil, count: threads))
    }

    func register(multi: OpaquePointer?, thread: Int) {
        multis.withLock { $0[thread] = multi }
    }

    /// Makes every engine thread's `curl_multi_poll` return now.
    func wakeAll() {
        multis.withLock { all in
            for m in all { if let m { curl_multi_wakeup(m) } }
        }
    }

    func setActive(thread: Int, probe: Int, count: Int) {
        activeVUs.withLock { $0[thread][probe] = count }
    }

    /// Active VUs per probe, summed over threads.
    func activePerProbe() -> [Int] {
        activeVUs.withLock { rows in
            guard var sum = rows.first.map({ Array(repeating: 0, count: $0.count) }) else { return [] }
            for r in rows { for (i, v) in r.enumerated() { sum[i] += v } }
            return sum
        }
    }
}

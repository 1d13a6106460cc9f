#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Monotonic and wall-clock readings in one place, so tests and the engine agree on time.
public enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point; never goes back.
    @inlinable
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Unix time in seconds.
    @inlinable
    public static func wallSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Unix time (seconds) of a monotonic reading taken in this process.
    public static func wallSeconds(ofMonotonic t: UInt64) -> Double {
        let nowMono = now()
        let nowWall = wallSeconds()
        return nowWall - (Double(nowMono) - Double(t)) / 1e9
    }
}

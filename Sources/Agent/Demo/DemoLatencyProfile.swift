import Foundation

/// How the demo API's latency and errors are distributed.
///
/// Each request waits a log-normal delay with median `medianMs` and shape `sigma`; with
/// probability `slowTailProbability` a uniform extra delay from `slowTailMs` is added, and
/// with probability `errorProbability` the answer is a 503. Probabilities are clamped to 0...1.
struct DemoLatencyProfile: Sendable {
    var medianMs: Double = 40
    var sigma: Double = 0.35
    var slowTailProbability = 0.01
    var slowTailMs: ClosedRange<Double> = 250...900
    var errorProbability = 0.005

    /// The default: a 40 ms median, 1% slow tail of 250–900 ms extra, 0.5% errors.
    static let realistic = DemoLatencyProfile()

    /// Longest delay ever drawn, so a silly profile cannot park requests for hours.
    static let maxDelayMs = 60_000.0

    /// Draws one request's delay in milliseconds.
    func sampleDelayMs() -> Double {
        var delay = max(0, medianMs) * exp(max(0, sigma) * Self.standardNormal())
        if Double.random(in: 0..<1) < slowTailProbability {
            delay += Double.random(in: max(0, slowTailMs.lowerBound)...max(0, slowTailMs.upperBound))
        }
        return min(delay, Self.maxDelayMs)
    }

    /// Draws whether this request fails.
    func sampleFailure() -> Bool {
        Double.random(in: 0..<1) < errorProbability
    }

    /// A standard normal sample (Box–Muller).
    private static func standardNormal() -> Double {
        let u1 = Double.random(in: Double.leastNonzeroMagnitude..<1)
        let u2 = Double.random(in: 0..<1)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

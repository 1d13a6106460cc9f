/// Which series a probe exposes (docs/metrics.md, "Series profiles"): `full`, every family
/// kalm has; `lean`, at most 30 per target, for fleets of thousands of targets.
public enum SeriesProfile: String, Sendable, Equatable, CaseIterable {
    case full
    case lean
}

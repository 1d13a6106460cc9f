/// What a metric family is, defined once: name, type, help, unit and the labels its
/// samples carry. Exposition builds families from descriptors (`MetricFamily(_:)`), and
/// docs/metrics.md is tested against `MetricCatalogue.all`, so the two cannot drift.
public struct MetricDescriptor: Sendable, Hashable {
    /// Where a family's series come from, which decides the labels added beyond `labels`.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        /// One series set per probe: `probe`, `scenario` lead, then `labels`, then the
        /// probe's own labels and the agent's labels.
        case probe
        /// Per scenario: `scenario`, then `labels`, then the agent's labels.
        case scenario
        /// The agent or process itself: `labels`, then the agent's labels.
        case agent
    }

    /// The text-format name (`_total` on counters; histogram and summary samples add suffixes).
    public var name: String
    /// The metric type.
    public var type: MetricType
    /// The `# HELP` text.
    public var help: String
    /// The OpenMetrics unit, when the name ends in it.
    public var unit: String?
    /// Where the series come from.
    public var scope: Scope
    /// The family's own labels after the scope's leading ones, in order
    /// (`le` and `quantile` are implied by histogram and summary types).
    public var labels: [String]

    /// Creates a descriptor.
    public init(_ name: String, _ type: MetricType, scope: Scope, labels: [String] = [], unit: String? = nil, help: String) {
        self.name = name
        self.type = type
        self.help = help
        self.unit = unit
        self.scope = scope
        self.labels = labels
    }
}

extension MetricFamily {
    /// An empty family described by `descriptor`.
    public init(_ descriptor: MetricDescriptor) {
        self.init(name: descriptor.name, help: descriptor.help, type: descriptor.type, unit: descriptor.unit)
    }
}

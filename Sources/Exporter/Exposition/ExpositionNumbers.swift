/// How numbers and strings are spelled in the exposition formats.
///
/// Sample values (`valueString`):
/// - `NaN`, `+Inf`, `-Inf` (both formats spell them so);
/// - integral values with |v| < 2^53 as plain integer digits (`0`, `17`,
///   `1712345678`; negative zero is `0`);
/// - everything else as Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the
///   shortest digits that round-trip, in exponent form when the decimal
///   exponent is < -4 or ≥ 6 (`0.005`, `123456.7`, `1.2345678e+06`, `1e-05`).
///
/// This is what client_golang writes, except that it writes integral values
/// ≥ 1e6 in exponent form (`1.234567e+06`); both parse to the same float,
/// and OpenMetrics asks for counts (bucket, `_count`) to be integers.
///
/// `le`/`quantile` label values are label values, so their spelling is part
/// of the series' identity: the text format uses Go's `%g` exactly, as
/// client_golang does (`le="1"`, `le="0.005"`, `le="1e+06"`, `le="+Inf"`);
/// OpenMetrics uses its canonical numbers, Go's `%g` with `.0` appended when
/// there is neither a `.` nor an exponent (`le="1.0"`, `le="10.0"`,
/// `quantile="0.99"`). Prometheus 2.x therefore stores `le="1"` from a text
/// scrape and `le="1.0"` from an OpenMetrics scrape, as with any Go exporter;
/// non-integral bounds (0.2, 0.5, …) are spelled the same in both.
public enum ExpositionNumbers {
    /// A sample value as the writers spell it (see the type's documentation).
    public static func valueString(_ v: Double) -> String {
        var sink = ByteSink(capacity: 32)
        defer { sink.deallocate() }
        ExpositionBytes.appendValue(v, to: &sink)
        return sink.string()
    }

    /// Go's `strconv.FormatFloat(v, 'g', -1, 64)`, with `+Inf`/`-Inf`/`NaN`.
    public static func goString(_ v: Double) -> String {
        var sink = ByteSink(capacity: 32)
        defer { sink.deallocate() }
        ExpositionBytes.appendGoFloat(v, to: &sink)
        return sink.string()
    }

    /// OpenMetrics canonical number (for `le` and `quantile`).
    public static func canonicalString(_ v: Double) -> String {
        var sink = ByteSink(capacity: 32)
        defer { sink.deallocate() }
        ExpositionBytes.appendCanonicalFloat(v, to: &sink)
        return sink.string()
    }
}

import Measurements
@testable import Exporter

/// kalm-like families for the golden files, appended deliberately out of
/// order so the writers' sorting is exercised.
enum ExpositionFixtures {
    static let buckets: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10]

    static func families() -> [MetricFamily] {
        var requests = MetricFamily(
            name: "kalm_http_requests_total",
            help: "HTTP requests by status code (0: transport error).",
            type: .counter)
        requests.add(3, labels: [("probe", "valuations"), ("scenario", "smoke"), ("code", "500")])
        requests.add(1712, labels: [("probe", "valuations"), ("scenario", "smoke"), ("code", "200")])
        requests.add(2, labels: [("probe", "valuations"), ("scenario", "smoke"), ("code", "0")])
        requests.add(12_345_678, labels: [("probe", "health"), ("scenario", "smoke"), ("code", "200")])

        var duration = MetricFamily(
            name: "kalm_http_request_duration_seconds",
            help: "k6 http_req_duration (send + wait + receive) of responses with an expected status.",
            type: .histogram, unit: "seconds")
        // valuations first, health second: output must put health first.
        duration.addHistogram(
            labels: [("probe", "valuations"), ("scenario", "smoke")],
            upperBounds: buckets,
            bucketCounts: [0, 1, 4, 20, 300, 900, 300, 150, 30, 5, 1, 0, 1],
            sum: 312.456)
        duration.addHistogram(
            labels: [("probe", "health"), ("scenario", "smoke")],
            upperBounds: buckets,
            cumulativeCounts: [10, 100, 1000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000] as [UInt64],
            count: 2000, sum: 24.5)

        var window = MetricFamily(
            name: "kalm_window_latency_seconds",
            help: "Latency quantiles over rolling windows (no _sum/_count: a window is not cumulative).",
            type: .summary, unit: "seconds")
        window.addSummary(labels: [("probe", "valuations"), ("scenario", "smoke"), ("window", "5m")],
                          quantiles: [(0.99, 0.48), (0.5, 0.125), (0.95, 0.31), (0.9, 0.25)])
        window.addSummary(labels: [("probe", "valuations"), ("scenario", "smoke"), ("window", "1m")],
                          quantiles: [(0.5, 0.1), (0.9, 0.2), (0.95, 0.3), (0.99, 1.5)])

        var build = MetricFamily(
            name: "kalm_build_info",
            help: "kalm's version and revision; the value is 1.",
            type: .gauge)
        build.add(1, labels: [("version", "0.1.0"), ("revision", "abc1234")])

        var checks = MetricFamily(
            name: "kalm_checks_total",
            help: "Checks by result. Names are the config's \"name\" (escaped: \\ and\nnewline).",
            type: .counter)
        checks.add(7, labels: [("probe", "valuations"), ("scenario", "smoke"),
                               ("check", "body says \"ok\" \\ C:\\tmp\nsecond line"), ("result", "fail")])
        checks.add(1705, labels: [("probe", "valuations"), ("scenario", "smoke"),
                                  ("check", "body says \"ok\" \\ C:\\tmp\nsecond line"), ("result", "pass")])
        checks.add(1712, labels: [("probe", "valuations"), ("scenario", "smoke"),
                                  ("check", "status is 200"), ("result", "pass")])

        var threshold = MetricFamily(
            name: "kalm_threshold_passing",
            help: "1 when the threshold holds over the window, else 0.",
            type: .gauge)
        threshold.add(1, labels: [("metric", "http_req_duration{probe:valuations}"), ("threshold", "p(99)<500"), ("window", "5m")])
        threshold.add(0, labels: [("metric", "http_req_duration"), ("threshold", "p(95)<200"), ("window", "5m")])

        var special = MetricFamily(
            name: "kalm_test_special_values",
            help: "Number spellings: NaN, infinities, exponents, integers.",
            type: .gauge)
        let values: [(String, Double)] = [
            ("a_nan", .nan), ("b_pos_inf", .infinity), ("c_neg_inf", -.infinity),
            ("d_zero", 0), ("e_neg_zero", -0.0), ("f_small", 1e-05), ("g_tenth", 0.1),
            ("h_fraction_big", 1_234_567.5), ("i_timestamp", 1_712_345_678), ("j_timestamp_frac", 1_712_345_678.125),
            ("k_huge", 1.5e300), ("l_negative", -42.25), ("m_two_pow_53", 9_007_199_254_740_992),
            ("n_third", 1.0 / 3.0), ("o_tiny", Double.leastNonzeroMagnitude),
        ]
        for (k, v) in values { special.add(v, labels: [("case", k)]) }

        var data = MetricFamily(
            name: "kalm_data_sent_bytes_total",
            help: "Bytes sent.",
            type: .counter, unit: "bytes")
        data.add(123_456, labels: [("probe", "valuations"), ("scenario", "smoke")])

        var untyped = MetricFamily(name: "kalm_test_untyped", help: "An untyped family.", type: .untyped)
        untyped.add(42)

        var processStart = MetricFamily(
            name: "process_start_time_seconds",
            help: "Start time of the process since unix epoch in seconds.",
            type: .gauge)
        processStart.add(1_712_345_678.91)

        var emptyWindow = MetricFamily(
            name: "kalm_window_availability_ratio",
            help: "Successful iterations / iterations over the window.",
            type: .gauge)
        emptyWindow.samples = [] // a window with no samples: no series, no HELP/TYPE

        // Deliberately not sorted by name.
        return [requests, window, duration, build, checks, threshold, special, data, untyped, processStart, emptyWindow]
    }
}

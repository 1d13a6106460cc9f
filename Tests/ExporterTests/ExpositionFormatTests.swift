import KalmTestSupport
import Measurements
import Testing
@testable import Exporter

private func text(_ families: [MetricFamily]) -> String {
    String(decoding: TextFormatWriter.render(families), as: UTF8.self)
}

private func om(_ families: [MetricFamily]) -> String {
    String(decoding: OpenMetricsWriter.render(families), as: UTF8.self)
}

@Suite struct NumberSpellingTests {
    /// Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) returns.
    @Test(arguments: [
        (0.1, "0.1"), (1e-05, "1e-05"), (0.0001, "0.0001"), (0.00012345, "0.00012345"),
        (123456.7, "123456.7"), (1234567.8, "1.2345678e+06"), (100000, "100000"), (1e6, "1e+06"),
        (1e21, "1e+21"), (1.5e300, "1.5e+300"), (2.5e-308, "2.5e-308"), (-0.5, "-0.5"),
        (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"),
        (Double.leastNonzeroMagnitude, "5e-324"), (1.0 / 3.0, "0.3333333333333333"),
        (2.5, "2.5"), (10, "10"), (-1, "-1"), (1e100, "1e+100"), (1.25e-100, "1.25e-100"),
        (.infinity, "+Inf"), (-.infinity, "-Inf"), (.nan, "NaN"), (0, "0"), (-0.0, "0"),
    ] as [(Double, String)])
    func goFormatting(_ value: Double, _ expected: String) {
        #expect(ExpositionNumbers.goString(value) == expected)
    }

    @Test(arguments: [
        (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (17, "17"), (1712345678, "1712345678"),
        (1e6, "1000000"), (9_007_199_254_740_991, "9007199254740991"),
        (9_007_199_254_740_992, "9.007199254740992e+15"), (1e15 + 0.5, "1.0000000000000005e+15"),
        (0.25, "0.25"), (1712345678.125, "1.712345678125e+09"), (-42.25, "-42.25"),
        (.nan, "NaN"), (.infinity, "+Inf"), (-.infinity, "-Inf"),
    ] as [(Double, String)])
    func sampleValues(_ value: Double, _ expected: String) {
        #expect(ExpositionNumbers.valueString(value) == expected)
    }

    /// The OpenMetrics spec's "Canonical Numbers" examples.
    @Test func canonicalNumbersFromTheSpec() {
        let first: [Double] = [0.0, 0.001, 0.002, 0.01, 0.1, 0.9, 0.95, 0.99, 0.999, 1.0, 1.7, 10.0]
        #expect(first.map(ExpositionNumbers.canonicalString)
            == ["0.0", "0.001", "0.002", "0.01", "0.1", "0.9", "0.95", "0.99", "0.999", "1.0", "1.7", "10.0"])
        let powers: [Double] = [1e-10, 1e-09, 1e-05, 0.0001, 0.1, 1.0, 100000.0, 1e+06, 1e+10]
        #expect(powers.map(ExpositionNumbers.canonicalString)
            == ["1e-10", "1e-09", "1e-05", "0.0001", "0.1", "1.0", "100000.0", "1e+06", "1e+10"])
        #expect(ExpositionNumbers.canonicalString(.infinity) == "+Inf")
    }

    /// "Exposers SHOULD produce output for the values 0.0 up to 10.0 in 0.001
    /// increments in line with the examples": i/1000 spelled as its decimal.
    @Test func canonicalThousandths() {
        for i in 0...10_000 {
            let v = Double(i) / 1000
            var fraction = String(i % 1000)
            while fraction.count < 3 { fraction = "0" + fraction }
            while fraction.count > 1 && fraction.hasSuffix("0") { fraction.removeLast() }
            #expect(ExpositionNumbers.canonicalString(v) == "\(i / 1000).\(fraction)", "\(i)")
        }
    }

    /// Every spelling parses back to the exact same Double.
    @Test func roundTrips() {
        var rng = SplitMix(seed: 7)
        for _ in 0..<20_000 {
            let v = Double(bitPattern: rng.next())
            guard v.isFinite else { continue }
            #expect(Double(ExpositionNumbers.valueString(v)) == v)
            #expect(Double(ExpositionNumbers.goString(v)) == v)
            #expect(Double(ExpositionNumbers.canonicalString(v)) == v)
        }
        for _ in 0..<20_000 {
            let v = Double(rng.next() % 10_000_000) / Double(1 << (rng.next() % 30))
            #expect(Double(ExpositionNumbers.valueString(v)) == v)
        }
    }
}

@Suite struct WriterRuleTests {
    @Test func helpEscapingDiffersBetweenFormats() {
        let f = MetricFamily(name: "m", help: "a \\ b \"c\"\nd", type: .gauge, samples: [MetricSample(labels: [], value: 1)])
        #expect(text([f]) == "# HELP m a \\\\ b \"c\"\\nd\n# TYPE m gauge\nm 1\n")
        #expect(om([f]) == "# TYPE m gauge\n# HELP m a \\\\ b \\\"c\\\"\\nd\nm 1\n# EOF\n")
    }

    @Test func labelValuesAreEscapedInBothFormats() {
        var f = MetricFamily(name: "m", help: "h", type: .gauge)
        f.add(1, labels: [("a", "x\"y\\z\nw"), ("b", "ünïcödé ✓")])
        #expect(text([f]).contains("m{a=\"x\\\"y\\\\z\\nw\",b=\"ünïcödé ✓\"} 1\n"))
        #expect(om([f]).contains("m{a=\"x\\\"y\\\\z\\nw\",b=\"ünïcödé ✓\"} 1\n"))
    }

    @Test func emptyFamiliesAreNotWritten() {
        let empty = MetricFamily(name: "kalm_window_error_ratio", help: "h", type: .gauge)
        #expect(text([empty]) == "")
        #expect(om([empty]) == "# EOF\n")
    }

    @Test func counterWithoutTotalGetsItInOpenMetricsOnly() {
        var f = MetricFamily(name: "legacy_requests", help: "h", type: .counter)
        f.add(5)
        #expect(text([f]) == "# HELP legacy_requests h\n# TYPE legacy_requests counter\nlegacy_requests 5\n")
        #expect(om([f]) == "# TYPE legacy_requests counter\n# HELP legacy_requests h\nlegacy_requests_total 5\n# EOF\n")
    }

    @Test func unitIsWrittenOnlyWhenItIsTheNameSuffix() {
        var ok = MetricFamily(name: "kalm_probe_last_success_timestamp_seconds", help: "h", type: .gauge, unit: "seconds")
        ok.add(1)
        var wrong = MetricFamily(name: "kalm_build_info", help: "h", type: .gauge, unit: "seconds")
        wrong.add(1)
        var bare = MetricFamily(name: "seconds", help: "h", type: .gauge, unit: "seconds")
        bare.add(1)
        let out = om([ok, wrong, bare])
        #expect(out.contains("# UNIT kalm_probe_last_success_timestamp_seconds seconds\n"))
        #expect(!out.contains("# UNIT kalm_build_info"))
        #expect(!out.contains("# UNIT seconds"))
        #expect(!text([ok]).contains("UNIT"))
        #expect(OpenMetricsLint.problems(out) == [])
    }

    @Test func bucketsSortNumericallyNotLexically() {
        var f = MetricFamily(name: "h_seconds", help: "h", type: .histogram)
        // Appended out of order, including a bound that sorts wrongly as text (10 < 2.5).
        f.samples = [
            MetricSample(.count, labels: [], value: 3), MetricSample(.bucket(le: 10), labels: [], value: 3),
            MetricSample(.bucket(le: .infinity), labels: [], value: 3), MetricSample(.sum, labels: [], value: 4.5),
            MetricSample(.bucket(le: 2.5), labels: [], value: 2), MetricSample(.bucket(le: 0.5), labels: [], value: 1),
        ]
        #expect(text([f]) == """
            # HELP h_seconds h
            # TYPE h_seconds histogram
            h_seconds_bucket{le="0.5"} 1
            h_seconds_bucket{le="2.5"} 2
            h_seconds_bucket{le="10"} 3
            h_seconds_bucket{le="+Inf"} 3
            h_seconds_sum 4.5
            h_seconds_count 3

            """)
        #expect(OpenMetricsLint.problems(om([f])) == [])
    }

    @Test func histogramBuildersAgree() {
        let bounds: [Double] = [0.1, 0.5, 1]
        var a = MetricFamily(name: "x_seconds", help: "h", type: .histogram)
        a.addHistogram(labels: [("p", "1")], upperBounds: bounds, bucketCounts: [1, 2, 3, 4] as [UInt64], sum: 9)
        var b = MetricFamily(name: "x_seconds", help: "h", type: .histogram)
        b.addHistogram(labels: [("p", "1")], upperBounds: bounds, cumulativeCounts: [1, 3, 6] as [UInt64], count: 10, sum: 9)
        // An explicit +Inf bound is not duplicated.
        var c = MetricFamily(name: "x_seconds", help: "h", type: .histogram)
        c.addHistogram(labels: [("p", "1")], upperBounds: bounds + [.infinity], bucketCounts: [1, 2, 3, 4, 0] as [UInt64], sum: 9)
        #expect(text([a]) == text([b]))
        #expect(text([a]) == text([c]))
        #expect(text([a]).contains("x_seconds_bucket{p=\"1\",le=\"+Inf\"} 10\nx_seconds_sum{p=\"1\"} 9\nx_seconds_count{p=\"1\"} 10\n"))
    }

    @Test func summaryWithSumAndCount() {
        var f = MetricFamily(name: "rpc_seconds", help: "h", type: .summary)
        f.addSummary(labels: [], quantiles: [(0.99, 3), (0.5, 1)], sum: 10.5, count: 7)
        #expect(text([f]) == """
            # HELP rpc_seconds h
            # TYPE rpc_seconds summary
            rpc_seconds{quantile="0.5"} 1
            rpc_seconds{quantile="0.99"} 3
            rpc_seconds_sum 10.5
            rpc_seconds_count 7

            """)
        #expect(om([f]).contains("rpc_seconds{quantile=\"0.5\"} 1\nrpc_seconds{quantile=\"0.99\"} 3\nrpc_seconds_sum 10.5\nrpc_seconds_count 7\n# EOF\n"))
        #expect(OpenMetricsLint.problems(om([f])) == [])
    }

    @Test func seriesWithDifferentLabelCountsStayContiguous() {
        var f = MetricFamily(name: "g", help: "h", type: .gauge)
        f.add(2, labels: [("a", "1"), ("b", "2")])
        f.add(1, labels: [("a", "1")])
        f.add(0)
        #expect(text([f]).hasSuffix("g 0\ng{a=\"1\"} 1\ng{a=\"1\",b=\"2\"} 2\n"))
    }

    /// Invalid input is the caller's bug, but it must not crash a scrape.
    @Test func degenerateNamesDoNotCrash() {
        var a = MetricFamily(name: "", help: "", type: .gauge)
        a.add(1)
        var b = MetricFamily(name: "_total", help: "", type: .counter)
        b.add(1, labels: [("", "")])
        _ = TextFormatWriter.render([a, b])
        _ = OpenMetricsWriter.render([a, b])
    }

    @Test func nameValidation() {
        #expect(MetricFamily.isValidMetricName("kalm_http_requests_total"))
        #expect(MetricFamily.isValidMetricName("a:b_c"))
        #expect(!MetricFamily.isValidMetricName("1abc"))
        #expect(!MetricFamily.isValidMetricName(""))
        #expect(!MetricFamily.isValidMetricName("a-b"))
        #expect(MetricFamily.isValidLabelName("probe"))
        #expect(!MetricFamily.isValidLabelName("__name__"))
        #expect(!MetricFamily.isValidLabelName("a:b"))
    }
}

/// The lint must catch what it claims to, or passing it means nothing.
@Suite struct OpenMetricsLintTests {
    @Test(arguments: [
        ("missing EOF", "# TYPE a gauge\na 1\n"),
        ("counter sample without _total", "# TYPE a counter\na 1\n# EOF\n"),
        ("family repeated", "# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\n# TYPE a gauge\n# EOF\n"),
        ("metric interleaved", "# TYPE a summary\na{x=\"1\",quantile=\"0.5\"} 1\na{x=\"2\",quantile=\"0.5\"} 1\na{x=\"1\",quantile=\"0.9\"} 1\n# EOF\n"),
        ("le not increasing", "# TYPE h histogram\nh_bucket{le=\"2.0\"} 1\nh_bucket{le=\"1.0\"} 1\nh_bucket{le=\"+Inf\"} 1\n# EOF\n"),
        ("no +Inf", "# TYPE h histogram\nh_bucket{le=\"1.0\"} 1\n# EOF\n"),
        ("count != +Inf", "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n# EOF\n"),
        ("le not a float rendering", "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\n# EOF\n"),
        ("bad escape", "# TYPE a gauge\na{x=\"\\t\"} 1\n# EOF\n"),
        ("raw quote in HELP", "# TYPE a gauge\n# HELP a say \"hi\"\na 1\n# EOF\n"),
        ("unit not a suffix", "# TYPE a gauge\n# UNIT a seconds\na 1\n# EOF\n"),
        ("duplicate label", "# TYPE a gauge\na{x=\"1\",x=\"2\"} 1\n# EOF\n"),
        ("bad number", "# TYPE a gauge\na 1.2.3\n# EOF\n"),
        ("negative counter", "# TYPE a counter\na_total -1\n# EOF\n"),
        ("quantile above 1", "# TYPE a summary\na{quantile=\"1.5\"} 1\n# EOF\n"),
        ("content after EOF", "# TYPE a gauge\na 1\n# EOF\n# EOF\n"),
    ])
    func catches(_ what: String, _ input: String) {
        #expect(OpenMetricsLint.problems(input) != [], "\(what)")
    }

    @Test func acceptsTheSpecExample() {
        let example = """
            # TYPE acme_http_router_request_seconds summary
            # UNIT acme_http_router_request_seconds seconds
            # HELP acme_http_router_request_seconds Latency though all of ACME's HTTP request router.
            acme_http_router_request_seconds_sum{path="/api/v1",method="GET"} 9036.32
            acme_http_router_request_seconds_count{path="/api/v1",method="GET"} 807283.0
            acme_http_router_request_seconds_created{path="/api/v1",method="GET"} 1605281325.0
            # TYPE go_goroutines gauge
            # HELP go_goroutines Number of goroutines that currently exist.
            go_goroutines 69
            # TYPE process_cpu_seconds counter
            # UNIT process_cpu_seconds seconds
            # HELP process_cpu_seconds Total user and system CPU time spent in seconds.
            process_cpu_seconds_total 4.20072246e+06
            # EOF

            """
        #expect(OpenMetricsLint.problems(example) == [])
    }
}

import Foundation
import KalmTestSupport
import Measurements
import Probes
import Testing
@testable import Exporter

/// kalm's protobuf exposition decoded by an independent decoder: Python's protobuf runtime
/// with proto/metrics.proto compiled by protoc (scripts/decode-exposition). Every family,
/// series and value of the text formats arrives; histograms carry their native part and
/// exemplars with timestamps; summaries their quantiles only.
@Suite("Protobuf exposition, decoded by Python's protobuf", .enabled(if: ExpositionDecoder.available,
       "needs protoc and Python's protobuf (scripts/test installs protobuf-compiler and the protobuf package)"))
struct ProtobufDecodeTests {
    /// The fixtures plus a traced duration family with native parts, and a family big enough
    /// for message lengths of two and three varint bytes.
    static func families() -> [MetricFamily] {
        var families = ExpositionFixtures.families()
        var duration = MetricFamily(name: "kalm_traced_duration_seconds", help: "Traced durations.", type: .histogram, unit: "seconds")
        var h = NativeHistogram(NativeHistogramSpec())
        for v in [0.0, 0.003, 0.004, 0.0041, 0.02, 0.021, 0.3, 7.5] { h.record(seconds: v) }
        let labels: MetricLabels = [("probe", "api"), ("scenario", "smoke")]
        var b = BucketHistogram(bounds: [0.005, 0.05, 1])
        for v in [0.0, 0.003, 0.004, 0.0041, 0.02, 0.021, 0.3, 7.5] { b.record(micros: Int64(v * 1e6)) }
        duration.addHistogram(labels: labels, upperBounds: [0.005, 0.05, 1], bucketCounts: b.counts, sum: b.sumSeconds)
        let e1 = MetricExemplar(labels: [("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")], value: 0.0041, timestamp: 1_796_000_000.25)
        let e4 = MetricExemplar(labels: [("trace_id", "00f067aa0ba902b700f067aa0ba902b7")], value: 7.5, timestamp: 1_796_000_001.5)
        duration.histogramExtras = [HistogramExtras(labels: labels, native: h, exemplars: [e1, nil, nil, e4])]
        // An empty native part: Prometheus must still see a native histogram (zero threshold > 0).
        let quiet: MetricLabels = [("probe", "quiet"), ("scenario", "smoke")]
        duration.addHistogram(labels: quiet, upperBounds: [0.005, 0.05, 1], bucketCounts: [0, 0, 0, 0] as [UInt64], sum: 0)
        duration.histogramExtras.append(HistogramExtras(labels: quiet, native: NativeHistogram(NativeHistogramSpec())))
        families.append(duration)
        var big = MetricFamily(name: "kalm_test_many_series", help: String(repeating: "long help ", count: 20), type: .gauge)
        for i in 0..<3_000 { big.add(Double(i), labels: [("target", "host-\(i).example.com:443"), ("zone", "ü-\(i % 7)")]) }
        families.append(big)
        return families
    }

    @Test func everySeriesAndValueArrives() throws {
        let families = Self.families()
        let decoded = try ExpositionDecoder.decode(ProtobufWriter.render(families))
        let expected = families.filter { !$0.samples.isEmpty }.sorted { $0.name < $1.name }
        #expect(decoded.map { $0["name"] as? String } == expected.map(\.name))
        for (f, d) in zip(expected, decoded) {
            #expect(d["help"] as? String == f.help)
            #expect(d["type"] as? String == ["COUNTER", "GAUGE", "HISTOGRAM", "SUMMARY", "UNTYPED"].first { $0.lowercased() == f.type.textName })
            #expect(ProtobufDecoder.samples(d) == ProtobufDecoder.samples(f), "family \(f.name)")
        }
    }

    @Test func histogramsCarryNativePartsAndTimestampedExemplars() throws {
        let decoded = try ExpositionDecoder.decode(ProtobufWriter.render(Self.families()))
        let family = try #require(decoded.first { $0["name"] as? String == "kalm_traced_duration_seconds" })
        let metrics = family["metric"] as? [[String: Any]] ?? []
        let traced = try #require(metrics.first { ProtobufDecoder.labels($0)["probe"] == "api" }?["histogram"] as? [String: Any])
        #expect(traced["schema"] as? Int == 4)
        #expect(traced["zero_threshold"] as? Double == 1e-6)
        #expect(traced["zero_count"] as? String == "1")
        #expect(traced["sample_count"] as? String == "8")
        // Decode spans and deltas back to buckets: the native histogram's own.
        var index = 0, count = 0
        var buckets: [Int: Int] = [:]
        let deltas = (traced["positive_delta"] as? [String] ?? []).map { Int($0)! }
        var k = 0
        for span in traced["positive_span"] as? [[String: Any]] ?? [] {
            index += span["offset"] as? Int ?? 0
            for _ in 0..<(span["length"] as? Int ?? 0) {
                count += deltas[k]; k += 1
                if count > 0 { buckets[index] = count }
                index += 1
            }
        }
        var expected: [Int: Int] = [:]
        for v in [0.003, 0.004, 0.0041, 0.02, 0.021, 0.3, 7.5] { expected[NativeHistogram.index(of: v, schema: 4), default: 0] += 1 }
        #expect(buckets == expected)
        // Classic buckets without +Inf, except that +Inf is written to carry its exemplar.
        let classic = traced["bucket"] as? [[String: Any]] ?? []
        #expect(classic.map { ProtobufDecoder.number($0["upper_bound"] ?? 0) } == ["0.005", "0.05", "1.0", "+Inf"])
        let first = try #require(classic.first?["exemplar"] as? [String: Any])
        #expect((first["label"] as? [[String: Any]])?.first?["value"] as? String == "4bf92f3577b34da6a3ce929d0e0e4736")
        #expect(first["value"] as? Double == 0.0041)
        #expect(first["timestamp"] as? String == "2026-11-30T00:53:20.250Z")
        #expect((classic.last?["exemplar"] as? [String: Any])?["value"] as? Double == 7.5)
        #expect(classic[1]["exemplar"] == nil)
        // The empty one is still native.
        let quiet = try #require(metrics.first { ProtobufDecoder.labels($0)["probe"] == "quiet" }?["histogram"] as? [String: Any])
        #expect(quiet["zero_threshold"] as? Double == 1e-6 && quiet["schema"] as? Int == 4)
        #expect((quiet["bucket"] as? [[String: Any]])?.count == 3)
    }

    @Test func openMetricsExemplarsPassBothStrictParsers() throws {
        let bytes = OpenMetricsWriter.render(Self.families())
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains(#"kalm_traced_duration_seconds_bucket{probe="api",scenario="smoke",le="0.005"} 4 # {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.0041 1796000000.250"#))
        #expect(text.contains(#"le="+Inf"} 8 # {trace_id="00f067aa0ba902b700f067aa0ba902b7"} 7.5 1796000001.500"#))
        #expect(OpenMetricsLint.problems(text).isEmpty, "\(OpenMetricsLint.problems(text))")
        let decoded = try ExpositionDecoder.decode(bytes, format: "openmetrics")
        let family = try #require(decoded.first { $0["name"] as? String == "kalm_traced_duration_seconds" })
        let exemplars = (family["samples"] as? [[String: Any]] ?? []).compactMap { $0["exemplar"] as? [String: Any] }
        #expect(exemplars.count == 2)
        #expect(exemplars.first?["timestamp"] as? Double == 1_796_000_000.25)
        // Text 0.0.4 has none.
                #expect(!String(decoding: TextFormatWriter.render(Self.families()), as: UTF8.self).contains("trace_id"))
    }

    @Test func windowSummariesHaveNoSumOrCount() throws {
        let decoded = try ExpositionDecoder.decode(ProtobufWriter.render(Self.families()))
        let window = try #require(decoded.first { $0["name"] as? String == "kalm_window_latency_seconds" })
        for m in window["metric"] as? [[String: Any]] ?? [] {
            let s = m["summary"] as? [String: Any] ?? [:]
            #expect(s["sample_count"] == nil && s["sample_sum"] == nil)
            #expect((s["quantile"] as? [[String: Any]])?.count == 4)
        }
    }
}

/// Both sides of the comparison as rows.
enum ProtobufDecoder {
    static func labels(_ metric: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        for l in metric["label"] as? [[String: Any]] ?? [] { out[l["name"] as? String ?? ""] = l["value"] as? String ?? "" }
        return out
    }

    /// Rows "labels|part|value" of a decoded family, sorted.
    static func samples(_ family: [String: Any]) -> [String] {
        var rows: [String] = []
        for m in family["metric"] as? [[String: Any]] ?? [] {
            let l = labels(m).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            for kind in ["counter", "gauge", "untyped"] {
                if let v = (m[kind] as? [String: Any])?["value"] { rows.append("\(l)|value|\(number(v))") }
            }
            if let h = m["histogram"] as? [String: Any] {
                for b in h["bucket"] as? [[String: Any]] ?? [] where number(b["upper_bound"] ?? 0) != "+Inf" {
                    rows.append("\(l)|le=\(number(b["upper_bound"] ?? 0))|\(number(b["cumulative_count"] ?? 0))")
                }
                rows.append("\(l)|le=+Inf|\(number(h["sample_count"] ?? 0))")
                rows.append("\(l)|sum|\(number(h["sample_sum"] ?? 0))")
                rows.append("\(l)|count|\(number(h["sample_count"] ?? 0))")
            }
            if let s = m["summary"] as? [String: Any] {
                for q in s["quantile"] as? [[String: Any]] ?? [] { rows.append("\(l)|q=\(number(q["quantile"] ?? 0))|\(number(q["value"] ?? 0))") }
                if let v = s["sample_sum"] { rows.append("\(l)|sum|\(number(v))") }
                if let v = s["sample_count"] { rows.append("\(l)|count|\(number(v))") }
            }
        }
        return rows.sorted()
    }

    /// The same rows from kalm's model.
    static func samples(_ f: MetricFamily) -> [String] {
        f.samples.map { s in
            let l = s.labels.sorted { $0.name < $1.name }.map { "\($0.name)=\($0.value)" }.joined(separator: ",")
            let part: String
            switch s.kind {
            case .value: part = "value"
            case .bucket(let le): part = "le=\(number(le))"
            case .quantile(let q): part = "q=\(number(q))"
            case .sum: part = "sum"
            case .count: part = "count"
            }
            return "\(l)|\(part)|\(number(s.value))"
        }.sorted()
    }

    /// One spelling for a JSON number, a protobuf JSON string ("NaN", "Infinity", "12") and a Double.
    static func number(_ v: Any) -> String {
        var d: Double
        switch v {
        case let s as String:
            switch s {
            case "NaN": return "NaN"
            case "Infinity": return "+Inf"
            case "-Infinity": return "-Inf"
            default: d = Double(s) ?? .nan
            }
        case let n as NSNumber: d = n.doubleValue
        case let x as Double: d = x
        default: return "?"
        }
        if d.isNaN { return "NaN" }
        if d == .infinity { return "+Inf" }
        if d == -.infinity { return "-Inf" }
        if d == 0 { return "0" }
        return "\(d)"
    }
}

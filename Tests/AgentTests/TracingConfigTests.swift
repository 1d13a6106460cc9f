import Foundation
import Measurements
import Probes
import Testing
@testable import Agent

/// `trace:`, `agent.native_histograms` and `agent.trace_url`: what they turn into, and the
/// errors that name the key and the fix (docs/configuration.md, "Tracing", "Native histograms").
@Suite("Config: tracing and native histograms")
struct TracingConfigTests {
    static func config(probe: String = "", agent: String = "") -> String {
        """
        agent: {\(agent)}
        probes:
          - name: api
            request: {url: "http://127.0.0.1:1/"}
            \(probe)
        scenarios:
          s: {vus: 1, continuous: true}
        """
    }

    @Test func traceForms() throws {
        #expect(try parseConfig(Self.config(probe: "trace: true")).probes[0].trace == TraceSpec())
        #expect(try parseConfig(Self.config(probe: "trace: false")).probes[0].trace == nil)
        #expect(try parseConfig(Self.config()).probes[0].trace == nil)
        let state = try parseConfig(Self.config(probe: #"trace: {tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"}"#))
        #expect(state.probes[0].trace?.traceState == "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
    }

    @Test("bad trace settings name the key and the fix", arguments: [
        (#"trace: maybe"#, "probes[0].trace", "expected true or false"),
        (#"trace: {tracestate: "Bad Key=1"}"#, "probes[0].trace.tracestate", "comma-separated key=value"),
        (#"trace: {tracestate: "a=1,a=2"}"#, "probes[0].trace.tracestate", "W3C tracestate"),
        (#"trace: {tracestate: "a=1", sampled: true}"#, "probes[0].trace.sampled", "valid keys here: tracestate"),
    ])
    func traceErrors(_ line: String, _ path: String, _ words: String) {
        let errors = configErrors(Self.config(probe: line))
        #expect(errors.contains { $0.path == path && $0.message.contains(words) }, "\(errors)")
    }

    @Test func tracedProbeCannotSetItsOwnTraceparent() {
        let yaml = """
            probes:
              - name: api
                trace: true
                request: {url: "http://127.0.0.1:1/", headers: {Traceparent: "00-x"}}
            scenarios:
              s: {vus: 1, continuous: true}
            """
        let errors = configErrors(yaml)
        #expect(errors.contains { $0.path == "probes[0].trace" && $0.message.contains("remove the Traceparent header") }, "\(errors)")
    }

    @Test func nativeHistogramForms() throws {
        #expect(try parseConfig(Self.config()).agent.nativeHistograms == NativeHistogramSpec(schema: 4, maxBuckets: 160, zeroThreshold: 1e-6))
        #expect(try parseConfig(Self.config(agent: "native_histograms: false")).agent.nativeHistograms == nil)
        let custom = try parseConfig(Self.config(agent: "native_histograms: {schema: 6, max_buckets: 300, zero_threshold: 1e-5}"))
        #expect(custom.agent.nativeHistograms == NativeHistogramSpec(schema: 6, maxBuckets: 300, zeroThreshold: 1e-5))
    }

    @Test("bad native histogram settings name the key and the fix", arguments: [
        ("native_histograms: {schema: 9}", "agent.native_histograms.schema", "from -4 to 8"),
        ("native_histograms: {schema: x}", "agent.native_histograms.schema", "a schema from -4 to 8"),
        ("native_histograms: {max_buckets: 0}", "agent.native_histograms.max_buckets", "at least 1"),
        ("native_histograms: {zero_threshold: 0}", "agent.native_histograms.zero_threshold", "must be above 0"),
        ("native_histograms: {zero_threshold: 0.5}", "agent.native_histograms.zero_threshold", "below 0.001"),
        ("native_histograms: {factor: 1.1}", "agent.native_histograms.factor", "valid keys here: schema, max_buckets, zero_threshold"),
        ("native_histograms: sometimes", "agent.native_histograms", "true or false"),
        (#"trace_url: "ftp://x/{{ trace_id }}""#, "agent.trace_url", "http:// or https://"),
        (#"trace_url: "http://jaeger/trace/""#, "agent.trace_url", "{{ trace_id }}"),
    ])
    func agentErrors(_ line: String, _ path: String, _ words: String) {
        let errors = configErrors(Self.config(agent: line))
        #expect(errors.contains { $0.path == path && $0.message.contains(words) }, "\(errors)")
        #expect(errors.count == 1, "one error, not a cascade: \(errors)")
    }

    @Test func traceLinksReplaceThePlaceholder() throws {
        let cfg = try parseConfig(Self.config(agent: #"trace_url: "https://grafana/explore?q={{trace_id}}&x=1""#))
        let url = try #require(cfg.agent.traceURL)
        #expect(TraceLink.url(url, traceID: "4bf92f3577b34da6a3ce929d0e0e4736") == "https://grafana/explore?q=4bf92f3577b34da6a3ce929d0e0e4736&x=1")
    }

    @Test("tracestate syntax (W3C Trace Context)", arguments: [
        ("rojo=00f067aa0ba902b7", true), ("rojo=1,congo=2", true), ("tenant@vendor=x", true), ("a=b c", true),
        ("", false), ("=x", false), ("a=", false), ("A=1", false), ("a=1,", false), ("a=x,a=y", false), ("a=b ", true), ("a=b\u{7F}", false),
        ("a=b=c", false), (Array(repeating: "k=v", count: 33).enumerated().map { "k\($0.offset)=v" }.joined(separator: ","), false),
    ])
    func traceState(_ s: String, _ valid: Bool) {
        #expect(TraceContext.isValidTraceState(s) == valid, "\(s)")
    }
}

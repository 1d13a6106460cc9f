import Measurements
import Testing
@testable import Exporter

@Suite struct ContentNegotiationTests {
    static let prometheus2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    static let prometheus3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
    static let prometheusNative = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"

    @Test(arguments: [
        (prometheus2, ExpositionFormat.openMetrics),
        (prometheus3, .openMetrics),
        (prometheusNative, .protobuf),
        // Prometheus 2.42 with --enable-feature=native-histograms.
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", .protobuf),
        ("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", .protobuf),
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", .text), // only delimited
        ("application/vnd.google.protobuf;encoding=delimited", .text), // which message? not offered
        ("application/vnd.google.protobuf;proto=other.Message;encoding=delimited", .text),
        ("application/*", .openMetrics), // a wildcard never gets protobuf
        ("application/openmetrics-text, application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", .openMetrics),
        ("application/openmetrics-text;q=0.5, application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", .protobuf),
        ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0, */*", .text),
        ("application/openmetrics-text; version=1.0.0; charset=utf-8", .openMetrics),
        ("application/openmetrics-text", .openMetrics),
        ("application/*", .openMetrics),
        ("APPLICATION/OpenMetrics-Text;Version=1.0.0", .openMetrics),
        ("application/openmetrics-text;version=0.0.1", .text), // only 1.0.0 is offered
        ("application/openmetrics-text;version=2.0.0", .text),
        ("text/plain;version=0.0.4", .text),
        ("text/plain", .text),
        ("*/*", .text),
        ("", .text),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", .text), // a browser
        ("text/plain;q=0.5, application/openmetrics-text;q=0.6", .openMetrics),
        ("application/openmetrics-text;q=0.5, text/plain;q=0.6", .text),
        ("text/plain, application/openmetrics-text", .text), // equal q: the earlier range wins
        ("application/openmetrics-text, text/plain", .openMetrics),
        ("application/openmetrics-text;q=0, */*", .text), // refused explicitly
        ("application/openmetrics-text;version=1.0.0;q=0, application/openmetrics-text", .text), // the more specific range decides
        ("text/plain;q=0, */*;q=0.1", .openMetrics), // text refused, */* still allows OpenMetrics
        ("application/openmetrics-text;q=bogus, text/plain;q=0.1", .text), // malformed range ignored
        ("garbage", .text),
        (";;;,,,", .text),
    ] as [(String, ExpositionFormat)])
    func accept(_ header: String, _ expected: ExpositionFormat) {
        #expect(ContentNegotiation.format(accept: header) == expected, "\(header)")
    }

    @Test func absentAcceptMeansText() {
        #expect(ContentNegotiation.format(accept: nil) == .text)
        #expect(ExpositionFormat.text.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }

    @Test(arguments: [
        ("gzip", true),
        ("gzip, deflate, br", true), // Prometheus, browsers
        ("GZIP", true),
        ("x-gzip", true),
        ("*", true),
        ("gzip;q=0.5", true), // identity unlisted: lowest preference
        ("identity;q=0.5, gzip", true),
        ("gzip;q=0", false),
        ("gzip;q=0.0, *", false), // explicit refusal beats *
        ("*;q=0", false),
        ("identity", false),
        ("br", false),
        ("deflate", false),
        ("", false),
        ("gzip;q=0.5, identity", false), // identity preferred
        ("gzip;q=0.5, *", false), // * (so identity) at 1 beats gzip at 0.5
        ("gzip;q=1, identity;q=1", true),
        ("gzip;q=nonsense", false), // malformed: ignored
        (" gzip ; q=0.8 , identity;q=0.2", true),
    ] as [(String, Bool)])
    func acceptEncoding(_ header: String, _ expected: Bool) {
        #expect(ContentNegotiation.useGzip(acceptEncoding: header) == expected, "\(header)")
    }

    @Test func absentAcceptEncodingMeansNoGzip() {
        #expect(ContentNegotiation.useGzip(acceptEncoding: nil) == false)
    }
}

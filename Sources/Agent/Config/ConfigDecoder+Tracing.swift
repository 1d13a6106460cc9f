import Measurements
import Probes

extension ConfigDecoder {
    /// A probe's `trace: true | false | {tracestate: "k=v,..."}` (docs/configuration.md, "Tracing").
    func decodeTrace(_ node: StrictNode) -> TraceSpec? {
        if case .mapping = node.node {
            guard let m = node.mapping(keys: ["tracestate"], what: "true, false or a mapping {tracestate: \"vendor=value\"}")
            else { return nil }
            var spec = TraceSpec()
            if let n = m["tracestate"], let s = n.string(what: "a W3C tracestate, e.g. \"vendor=value\"") {
                guard TraceContext.isValidTraceState(s) else {
                    n.invalid("tracestate", reason: "not a W3C tracestate list",
                              fix: "write 1 to 32 comma-separated key=value members, keys of a-z 0-9 _ - * / @, e.g. \"rojo=00f067aa0ba902b7\"")
                    return nil
                }
                spec.traceState = s
            }
            return spec
        }
        return node.bool() == true ? TraceSpec() : nil
    }

    /// A traced probe must leave `traceparent` and `tracestate` to kalm: two would confuse every tracer.
    func checkTraceHeaders(_ spec: ProbeSpec, at node: StrictNode) {
        for step in spec.steps {
            for h in step.request.headers where ["traceparent", "tracestate"].contains(h.name.lowercased()) {
                node.fail("a probe with trace: sets \(h.name.lowercased()) itself; remove the \(h.name) header (use trace: {tracestate: ...} for tracestate)")
                return
            }
        }
    }

    /// `agent.native_histograms: false | {schema, max_buckets, zero_threshold}` (docs/configuration.md, "Native histograms").
    func decodeNativeHistograms(_ node: StrictNode) -> NativeHistogramSpec?? {
        guard case .mapping = node.node else {
            guard let on = node.bool() else { return .none }
            return on ? .some(NativeHistogramSpec()) : .some(nil)
        }
        guard let m = node.mapping(keys: ["schema", "max_buckets", "zero_threshold"],
                                   what: "false or a mapping {schema: 4, max_buckets: 160, zero_threshold: 1e-6}")
        else { return .none }
        var spec = NativeHistogramSpec()
        var ok = true
        if let n = m["schema"] {
            if let s = n.int(what: "a schema from -4 to 8") {
                if NativeHistogramSpec.schemas.contains(s) {
                    spec.schema = s
                } else {
                    n.fail("schema must be from -4 to 8 (Prometheus's range; 3 ≈ 9 %, 4 ≈ 4.4 %, 5 ≈ 2.2 % quantile error), got \(n.quoted)")
                    ok = false
                }
            } else {
                ok = false
            }
        }
        if let n = m["max_buckets"] {
            if let b = n.int(min: 1, what: "a number of buckets") { spec.maxBuckets = b } else { ok = false }
        }
        if let n = m["zero_threshold"] {
            if let z = n.double(what: "a number of seconds"), z > 0, z < 0.001 {
                spec.zeroThreshold = z
            } else {
                n.fail("zero_threshold must be above 0 (Prometheus tells native from classic histograms by it) and below 0.001 seconds, e.g. 1e-6; got \(n.quoted)")
                ok = false
            }
        }
        return ok ? .some(spec) : .none
    }

    /// `agent.trace_url`: an http(s) URL containing `{{ trace_id }}`, the status page's trace link.
    func decodeTraceURL(_ node: StrictNode) -> String? {
        guard let s = node.string(what: "a URL with {{ trace_id }}, e.g. http://tempo:3200/trace/{{ trace_id }}") else { return nil }
        let lower = s.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://"), TraceLink.placeholder(in: s) != nil else {
            node.invalid("trace_url", reason: "it needs http:// or https:// and the placeholder {{ trace_id }}",
                         fix: "write e.g. http://jaeger:16686/trace/{{ trace_id }} or https://grafana/explore?...{{ trace_id }}")
            return nil
        }
        return s
    }
}

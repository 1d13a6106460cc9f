/// Fleets (docs/configuration.md, "Fleets"): a probe with `targets:` is a template; each
/// discovered target becomes a probe bound to it.
extension ProbeSpec {
    /// Whether any step's URL, header or body names `{{ target }}`.
    public var usesTarget: Bool {
        steps.contains { step in
            let t = step.templates
            return ([t.url, t.body].compactMap { $0 } + t.headers.map(\.value)).contains { $0.references.contains(.target) }
        }
    }

    /// This probe for one target: `{{ target }}` replaced by `target` (escaped as the place
    /// needs: a URL's invalid characters, a JSON body's quotes), `labels` added to its own. A template left with
    /// no other reference becomes plain text, so the engine sends it as it sends any URL.
    public func bound(toTarget target: String, labels extra: [(String, String)]) -> ProbeSpec {
        var out = self
        out.labels = (labels + extra).sorted { $0.0 < $1.0 }
        for i in out.steps.indices {
            var step = out.steps[i]
            if let url = step.templates.url {
                let (template, text) = Self.bind(url, target)
                step.templates.url = template
                if let text { step.request.url = text }
            }
            step.templates.headers = step.templates.headers.compactMap { entry in
                let (template, text) = Self.bind(entry.value, target)
                if let text { step.request.headers[entry.index].value = text }
                return template.map { (index: entry.index, value: $0) }
            }
            if let body = step.templates.body {
                let (template, text) = Self.bind(body, target)
                step.templates.body = template
                if let text { step.request.bodies = [Array(text.utf8)] }
            }
            out.steps[i] = step
        }
        return out
    }

    /// The template with `target` in place of `{{ target }}`: nil and its text when nothing
    /// run-time is left, else the template and nil.
    private static func bind(_ template: Template, _ target: String) -> (Template?, String?) {
        var parts: [Template.Part] = []
        var value = ""
        Template.append(target, escaping: template.escaping, to: &value)
        for part in template.parts {
            if case .value(.target) = part {
                if case .literal(let s)? = parts.last { parts[parts.count - 1] = .literal(s + value) } else { parts.append(.literal(value)) }
            } else if case .literal(let s) = part, case .literal(let prev)? = parts.last {
                parts[parts.count - 1] = .literal(prev + s)
            } else {
                parts.append(part)
            }
        }
        if parts.allSatisfy({ if case .literal = $0 { return true } else { return false } }) {
            return (nil, parts.map { if case .literal(let s) = $0 { return s } else { return "" } }.joined())
        }
        return (Template(source: template.source, parts: parts, escaping: template.escaping), nil)
    }
}

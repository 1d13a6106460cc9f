/// One step of a journey (a probe with `steps:`), or the only request of a single-request
/// probe (whose step has no name). docs/configuration.md, "Journeys".
public struct StepSpec: Sendable, Equatable {
    /// The `step` label; empty for a single-request probe (no `step` label).
    public var name: String
    /// The request, after `${...}` expansion; strings holding `{{ }}` are sent as `templates` render them.
    public var request: RequestSpec
    /// Run-time parts of the request, resolved per iteration.
    public var templates: RequestTemplates
    /// Outside it the request failed with reason `status`.
    public var expectedStatus: StatusMatcher
    /// All must pass for the step to succeed.
    public var checks: [CheckSpec]
    /// Values to take from the response for later steps.
    public var captures: [CaptureSpec]
    /// A failed step ends the iteration (as a failure) unless this is set.
    public var continueOnFailure: Bool
    /// Sleep after this step before the next one; nil: none.
    public var pause: ThinkTime?

    /// A step; by default no templates, k6's expected status 200–399, no checks, no captures and no pause.
    public init(
        name: String = "", request: RequestSpec, templates: RequestTemplates = RequestTemplates(),
        expectedStatus: StatusMatcher = .k6Default, checks: [CheckSpec] = [], captures: [CaptureSpec] = [],
        continueOnFailure: Bool = false, pause: ThinkTime? = nil
    ) {
        self.name = name
        self.request = request
        self.templates = templates
        self.expectedStatus = expectedStatus
        self.checks = checks
        self.captures = captures
        self.continueOnFailure = continueOnFailure
        self.pause = pause
    }
}

/// The parts of a request that hold `{{ }}` references.
public struct RequestTemplates: Sendable, Equatable {
    /// The URL, when it holds references.
    public var url: Template?
    /// Header values holding references, by index into `RequestSpec.headers`.
    public var headers: [(index: Int, value: Template)]
    /// The body, when it holds references (JSON-escaped for a body written as a mapping).
    public var body: Template?

    /// Templates for the URL, headers and body; by default none.
    public init(url: Template? = nil, headers: [(index: Int, value: Template)] = [], body: Template? = nil) {
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Whether nothing is resolved at run time.
    public var isEmpty: Bool { url == nil && headers.isEmpty && body == nil }

    /// Equal when every template is.
    public static func == (a: RequestTemplates, b: RequestTemplates) -> Bool {
        a.url == b.url && a.body == b.body
            && a.headers.elementsEqual(b.headers) { $0.index == $1.index && $0.value == $1.value }
    }
}

/// `capture:` rule: where a step takes a value for later steps.
public struct CaptureSpec: Sendable, Equatable {
    /// The name later steps write as `{{ name }}`.
    public var name: String
    /// Index of this capture among the probe's captures (its slot).
    public var slot: Int
    /// Where the value comes from.
    public var source: CaptureSource

    /// A capture `name` into `slot` from `source`.
    public init(name: String, slot: Int, source: CaptureSource) {
        self.name = name
        self.slot = slot
        self.source = source
    }

    /// The longest value kept (64 KiB); a longer one fails the capture, so memory stays bounded.
    public static let maxValueBytes = 64 * 1024
}

/// Where a captured value comes from.
public enum CaptureSource: Sendable, Equatable {
    /// `json_path:` the value at the path, rendered as text (strings unquoted).
    case jsonPath(JSONPath)
    /// `regex:` group 1 of the first match in the body (the whole match without a group).
    case regex(Pattern)
    /// `header:` the last response's header value (first of its name).
    case header(String)
    /// `status: true`: the HTTP status.
    case status

    /// Whether capturing needs the response body.
    public var needsBody: Bool {
        switch self {
        case .jsonPath, .regex: return true
        default: return false
        }
    }

    /// Whether capturing needs the response headers.
    public var needsHeaders: Bool {
        if case .header = self { return true }
        return false
    }
}

import Foundation

/// Raises the soft limit on open files to the hard limit at start, as Go programs such as
/// Prometheus do: the engine's connections and the endpoint's clients (up to
/// `--web.max-connections`) each hold a descriptor, and distributions' soft default of 1,024
/// would be reached long before either limit (docs/configuration.md, "Limits").
enum FileDescriptorLimit {
    /// The soft limit after raising it (unchanged when it cannot be raised).
    @discardableResult
    static func raiseToHardLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(raised.rlim_cur) }
        }
        return Int(limit.rlim_cur)
    }
}

/// kalm's exit codes (k6's where they exist; README.md lists them).
enum KalmExit {
    static let ok: Int32 = 0
    static let internalError: Int32 = 1
    /// A threshold failed (also abortOnFail and --max-regression).
    static let thresholdsFailed: Int32 = 99
    /// Invalid config or arguments.
    static let invalidInput: Int32 = 104
    /// Aborted by SIGINT/SIGTERM during `kalm run`.
    static let aborted: Int32 = 105
}

/// Bad input that is not a config-file error: a flag, an argument, the environment.
/// Printed as `error: <message>` and exits 104.
struct UsageError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// kalm's exit codes (k6's where they exist; README.md lists them).
enum KalmExit {
    static let ok: Int32 = 0
    static let internalError: Int32 = 1
    /// `kalm health`: the endpoint did not answer 2xx (1, as container health checks expect).
    static let unhealthy: Int32 = 1
    /// A threshold failed (also abortOnFail and --max-regression).
    static let thresholdsFailed: Int32 = 99
    /// Invalid config or arguments.
    static let invalidInput: Int32 = 104
    /// Aborted by SIGINT/SIGTERM during `kalm run`.
    static let aborted: Int32 = 105
}

/// Bad input that is not a config-file error: a flag, an argument, the environment.
/// Printed as `error: <message>` and exits 104.
struct UsageError: Error, CustomStringConvertible, Equatable {
    /// What kind of mistake it is (the message says which flag and the fix).
    enum Code: Equatable {
        /// A flag's value is malformed or out of range.
        case invalidValue
        /// Flags that do not go together, or a flag that does not apply here.
        case conflictingFlags
        /// The config has no scenario that fits the command.
        case noScenario
        /// A file named by a flag cannot be read or is not what it should be.
        case unreadableFile
        /// A file named by a flag cannot be written.
        case unwritableFile
        /// A listen address cannot be parsed or bound.
        case listenAddress
        /// A planned feature that this version does not have yet.
        case unsupported
    }

    /// What kind of mistake it is.
    let code: Code
    /// The message for people: the flag, what is wrong, the fix.
    let message: String
    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    var description: String { message }
}

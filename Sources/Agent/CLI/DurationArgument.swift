import ArgumentParser

/// A Go/k6 duration on the command line (`30s`, `1m30s`).
struct DurationArgument: ExpressibleByArgument {
    let seconds: Double
    let text: String

    init?(argument: String) {
        guard let s = try? GoDuration.parse(argument), s > 0 else { return nil }
        seconds = s
        text = argument
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

import ArgumentParser
import CKalm
import Foundation

/// Entry point of the `kalm` executable: runs the command and maps every error to kalm's
/// exit codes, so bad input always exits 104 with a message (never a stack trace, never exit 1).
public enum KalmMain {
    /// Runs `kalm` with the process's arguments and exits with its code.
    public static func main() async -> Never {
        kalm_line_buffer_stdout()
        let code = await run(Array(CommandLine.arguments.dropFirst()))
        exit(code)
    }

    static func run(_ args: [String]) async -> Int32 {
        do {
            var command = try Kalm.parseAsRoot(args)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return KalmExit.ok
        } catch {
            return report(error)
        }
    }

    /// Prints `error` and returns its exit code.
    static func report(_ error: Error) -> Int32 {
        switch error {
        case let e as ConfigErrors:
            printErr(e.description)
            printErr("\(e.errors.count) error\(e.errors.count == 1 ? "" : "s") in the config; nothing was run")
            return KalmExit.invalidInput
        case let e as ConfigError:
            printErr(e.description)
            return KalmExit.invalidInput
        case let e as UsageError:
            printErr("error: \(e.message)")
            return KalmExit.invalidInput
        case let e as ExitCode:
            return e.rawValue
        default:
            let code = Kalm.exitCode(for: error)
            if code == .success {
                print(Kalm.fullMessage(for: error))
                return KalmExit.ok
            }
            if code == .validationFailure {
                printErr("error: " + Kalm.fullMessage(for: error).replacingOccurrences(of: "Error: ", with: ""))
                printErr("see: kalm --help")
                return KalmExit.invalidInput
            }
            printErr("internal error: \(error)")
            return KalmExit.internalError
        }
    }
}

func printErr(_ s: String) {
    FileHandle.standardError.write((s + "\n").data(using: .utf8)!)
}

import ArgumentParser
import Porting

/// The command word itself, checked before ArgumentParser sees it: bare `tubelet` prints the
/// usage and fails (a script that lost its arguments should not succeed), and a mistyped
/// command (`tubelet inpsect`, `tubelet help inspec`) is named with the nearest command
/// rather than reported as "unexpected arguments".
enum CommandSpelling {
    static var commands: [String] {
        Tubelet.configuration.subcommands.compactMap { $0.configuration.commandName }
    }

    /// The message and exit status 64 for `arguments` (without the program name), or nil to go on.
    static func problem(in arguments: [String]) -> String? {
        guard let first = arguments.first else {
            return Tubelet.helpMessage() + "\nError: name a command (see above)."
        }
        if first == "help", arguments.count > 1 {
            return unknown(arguments[1])
        }
        if first.hasPrefix("-") || first == "help" { return nil }
        return unknown(first)
    }

    private static func unknown(_ word: String) -> String? {
        guard !commands.contains(word) else { return nil }
        return "Error: unknown command '\(word)'." + NameSuggestion.didYouMean(word, among: commands)
            + " The commands are \(commands.joined(separator: ", ")); 'tubelet --help' describes them."
    }
}

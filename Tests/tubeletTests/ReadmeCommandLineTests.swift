import ArgumentParser
import Foundation
import Testing
import TubeletTestSupport
@testable import tubelet

/// README.md's command lines against the parser, so the README cannot drift from the help:
/// every `tubelet …` line in its code blocks is either a synopsis (it has `[…]` or `a|b`),
/// whose every flag must be an option of its command and whose every listed value must appear
/// in that command's help, or an example, which must parse in-process (validation included)
/// exactly as typed.
@Suite("README's command line matches the parser")
struct ReadmeCommandLineTests {
    /// The subcommands by name.
    static let commands: [String: any ParsableCommand.Type] = Dictionary(
        uniqueKeysWithValues: Tubelet.configuration.subcommands.map { ($0._commandName, $0) })

    /// Every `tubelet …` command line in README.md's code blocks, indented continuation lines
    /// joined to the line they continue, from the word `tubelet` to the end or a `&&`.
    static func commandLines() throws -> [String] {
        let readme = try String(contentsOf: TestSupport.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var lines: [String] = []
        var inCode = false
        var continues = false  // the previous line of this block was a command line
        for line in readme.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { inCode.toggle(); continues = false; continue }
            guard inCode else { continue }
            if line.hasPrefix(" "), continues {
                lines[lines.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            continues = false
            guard let start = line.range(of: "tubelet ", options: [])?.lowerBound,
                  line[..<start].isEmpty || line[..<start].hasSuffix(" ") else { continue }
            var command = String(line[start...])
            if let and = command.range(of: " && ") { command = String(command[..<and.lowerBound]) }
            lines.append(command)
            continues = true
        }
        return lines
    }

    static func isSynopsis(_ line: String) -> Bool { line.contains("[") || line.contains("|") }

    /// Words as a POSIX shell splits them, for the quoting README uses ('…', "…").
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var quote: Character?
        var inWord = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord { words.append(current) }
        return words
    }

    @Test("README shows every command, and both synopses and examples")
    func linesFound() throws {
        let lines = try Self.commandLines()
        let shown = Set(lines.compactMap { Self.words($0).dropFirst().first })
        #expect(shown == Set(Self.commands.keys), "README's command lines show \(shown.sorted())")
        #expect(lines.contains(where: Self.isSynopsis) && lines.contains { !Self.isSynopsis($0) })
    }

    @Test("Every example parses as typed, validation included")
    func examplesParse() throws {
        for line in try Self.commandLines() where !Self.isSynopsis(line) {
            do {
                _ = try Tubelet.parseAsRoot(Array(Self.words(line).dropFirst()))
            } catch {
                Issue.record("README: '\(line)' does not parse: \(Tubelet.message(for: error))")
            }
        }
    }

    @Test("Every flag a synopsis shows is an option of its command, every value it lists is in the help")
    func synopsesUseTheHelpsSpellings() throws {
        for line in try Self.commandLines() where Self.isSynopsis(line) {
            let words = Self.words(line)
            let name = try #require(words.dropFirst().first)
            let command = try #require(Self.commands[name], "README: no command '\(name)' in '\(line)'")
            let help = Tubelet.helpMessage(for: command, includeHidden: true, columns: 10_000)
            let tokens = words.flatMap { $0.split(whereSeparator: { "[]".contains($0) }).map(String.init) }
            for (index, token) in tokens.enumerated() where token.hasPrefix("-") {
                let flags = token.split(separator: "|").map(String.init)  // --quiet|--verbose
                for flag in flags where !Self.isOption(flag, of: help) {
                    Issue.record("README: \(name) has no option \(flag) ('\(line)')")
                }
                // Values listed for the flag (--kernel-init central|average|arp), placeholders aside.
                guard flags.count == 1, index + 1 < tokens.count, tokens[index + 1].contains("|") else { continue }
                for value in tokens[index + 1].split(separator: "|") {
                    let plain = value.split(separator: ":").first.map(String.init) ?? ""
                    if plain.first?.isLowercase == true, !help.contains(plain) {
                        Issue.record("README: \(name) \(flags[0]) lists '\(plain)', which its help does not name")
                    }
                }
            }
        }
    }

    /// Whether `help` declares `flag` (`--frames <frames>`, `-o, --output <output>`, `--force `).
    static func isOption(_ flag: String, of help: String) -> Bool {
        help.split(separator: "\n").contains { line in
            let trimmed = line.drop { $0 == " " }
            return [flag + " ", flag + ",", flag + "\n"].contains { trimmed.hasPrefix($0) || trimmed.contains(", " + $0) }
                || trimmed == flag || trimmed.hasSuffix(", " + flag)
        }
    }
}

import ArgumentParser
import Foundation
import Testing
import TubeletTestSupport
@testable import tubelet

/// The `--help` text of `tubelet` and of every subcommand, checked against the committed
/// snapshots in `Snapshots/help-NAME.txt`, so help changes only deliberately: a change to an
/// option, an abstract or an example fails here until the snapshot is regenerated
/// (`TUBELET_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests`, then review the diff;
/// see CONTRIBUTING.md).
///
/// ArgumentParser wraps help to the terminal's width (or `COLUMNS`); the snapshots are
/// rendered at a pinned 80 columns in-process, so no terminal makes them differ.
@Suite("Help snapshots")
struct HelpSnapshotTests {
    /// The width the snapshots are rendered at, ArgumentParser's own default without a terminal.
    static let columns = 80

    static let snapshots = TestSupport.repositoryRoot.appendingPathComponent("Tests/tubeletTests/Snapshots", isDirectory: true)

    /// Every command, by the name of its snapshot.
    static let commands: [(name: String, command: any ParsableCommand.Type)] = [
        ("tubelet", Tubelet.self), ("inspect", Inspect.self), ("convert", Convert.self), ("inflate", Inflate.self),
        ("diff", Diff.self), ("schemas", Schemas.self),
    ]

    static func help(_ command: any ParsableCommand.Type) -> String {
        Tubelet.helpMessage(for: command, includeHidden: false, columns: columns) + "\n"
    }

    @Test("Every subcommand has a snapshot")
    func everySubcommandIsCovered() {
        let covered = Set(Self.commands.map { ObjectIdentifier($0.command) })
        for subcommand in Tubelet.configuration.subcommands {
            #expect(covered.contains(ObjectIdentifier(subcommand)), "no help snapshot for \(subcommand._commandName)")
        }
    }

    @Test("--help matches its snapshot", arguments: commands.map(\.name))
    func matchesSnapshot(name: String) throws {
        let command = try #require(Self.commands.first { $0.name == name }).command
        let actual = Self.help(command)
        let file = Self.snapshots.appendingPathComponent("help-\(name).txt")
        if ProcessInfo.processInfo.environment["TUBELET_UPDATE_SNAPSHOTS"] == "1" {
            try actual.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(actual == expected, """
            The help of '\(name)' differs from \(file.path). If the change is deliberate, regenerate the \
            snapshots with TUBELET_UPDATE_SNAPSHOTS=1 swift test --filter HelpSnapshotTests and commit them.
            """)
    }

    /// The usage line is never wrapped (ArgumentParser prints it whole at any width); every
    /// other line is, to the pinned width.
    @Test("No help line but the usage is wider than the pinned width: the text was wrapped to it")
    func linesFitTheWidth() {
        for (name, command) in Self.commands {
            for line in Self.help(command).split(separator: "\n") where line.count > Self.columns && !line.hasPrefix("USAGE: ") {
                Issue.record("help of \(name): a line of \(line.count) columns: \(line)")
            }
        }
    }
}

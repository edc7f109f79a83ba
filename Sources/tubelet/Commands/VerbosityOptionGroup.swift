import ArgumentParser

/// `--quiet` and `--verbose` for the commands that narrate what they do on stderr.
struct VerbosityOptionGroup: ParsableArguments {
    @Flag(name: [.short, .long], help: "Print nothing but errors (the report and the output's metadata still record everything).")
    var quiet = false

    @Flag(name: [.short, .long], help: "List every tensor left out or initialised, instead of counts per reason.")
    var verbose = false

    func validate() throws {
        if quiet && verbose { throw ValidationError("--quiet and --verbose contradict each other; pass one") }
    }

    /// Applies the choice to every note the run prints (``printNote(_:)``).
    func apply() {
        Console.quiet = quiet
    }
}

import ArgumentParser

/// `--progress`: a progress bar on stderr even when it is not a terminal or with `--json`.
/// Without it the bar shows only on a terminal, and never with `--json`.
struct ProgressOptionGroup: ParsableArguments {
    @Flag(help: "Show progress on stderr even when it is not a terminal (by default only on a terminal, and not with --json).")
    var progress = false

    /// The bar for `label`, or nil when none is to be shown.
    func bar(_ label: String, json: Bool = false) -> ProgressBar? {
        ProgressBar.make(label, json: json, forced: progress)
    }
}

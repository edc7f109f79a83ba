import ArgumentParser

/// `--no-sandbox`, for every command that reads a file: see ``Sandbox``.
struct SandboxOptionGroup: ParsableArguments {
    @Flag(name: .customLong("no-sandbox"),
          help: "Do not restrict the process with seccomp while it reads (Linux; also TUBELET_NO_SANDBOX=1). The sandbox keeps a malicious file from making tubelet run programs or open network connections.")
    var noSandbox = false

    /// Restricts the process, unless asked not to. Call first thing in `run()`.
    func enter() throws {
        try Sandbox.enter(disabled: noSandbox)
    }
}

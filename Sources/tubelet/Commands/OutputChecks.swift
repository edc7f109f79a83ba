import ArgumentParser
import Porting
import TensorIO

/// The checks of a command's outputs that the run would otherwise make only when it writes,
/// made before any work instead: an output that exists without --force, in a missing or
/// unwritable directory, of the wrong kind, or a report that cannot be written fails at
/// once, and never after a checkpoint has been written (leaving an output that the rerun
/// then refuses to replace). `--dry-run` makes the same checks, so it fails where the run
/// would. The rules themselves are ``OutputPreflight``'s, which the writers apply again.
extension Convert {
    func checkOutputs() throws {
        let sharded = maxShardSize != nil
        if !writesModelDirectory {
            let fileFormat: CheckpointFormat? = if case .file(let chosen)? = format { chosen } else { nil }
            _ = try Checkpoint.outputFormat(of: output, format: fileFormat, sharded: sharded)
        }
        try OutputPreflight.check(output, kind: writesModelDirectory || sharded ? .directory : .file,
                                  overwrite: force, inputs: [source])
    }
}

extension Inflate {
    func checkOutputs() throws {
        var targets: [String] = []  // where the checkpoint goes, once links are followed
        if let output {
            let chosen = try outputFormat(output)
            targets.append(try OutputPreflight.check(output, kind: chosen == .hf ? .directory : .file,
                                                     overwrite: force, inputs: [source]))
        }
        if let report, report != "-" {
            let target = try OutputPreflight.check(report, kind: .file, overwrite: force, inputs: [source])
            if targets.contains(where: { OutputPreflight.sameFile($0, target) }) {
                throw CheckpointError(.outputRefused, file: report, "the report would replace the checkpoint -o writes",
                    fix: "Give the report its own file name")
            }
        }
    }
}

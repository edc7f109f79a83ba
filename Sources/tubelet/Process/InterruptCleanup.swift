internal import CInterruptCleanup
import TensorIO

/// Ctrl-C, SIGTERM and SIGHUP end a run without leaving its temporary outputs behind: every
/// temporary file or directory that ``TemporaryOutputs`` announces is removed, one line goes
/// to stderr, and the process exits with 128 + the signal (130, 143, 129), as a shell
/// reports a command that a signal ended.
///
/// The handler itself is C (Sources/CInterruptCleanup, where the reasons are): it runs on
/// the thread that writes, so no file can appear while it removes them, and it only makes
/// async-signal-safe system calls on a table of paths filled in before each temporary is
/// created. SIGKILL cannot be caught; what it leaves is named by the next run
/// (``noteStaleTemporaries(beside:)``).
enum InterruptCleanup {
    /// Call once, first thing in `main`, before any thread starts.
    static func install() {
        func message(_ name: String) -> String {
            "tubelet: interrupted by \(name); any unfinished output was removed\n"
        }
        let status = tubelet_interrupt_install(message("SIGINT"), message("SIGTERM"), message("SIGHUP"))
        guard status == 0 else {
            printError("note: cannot handle interrupts (error \(status)); an interrupted run may leave a hidden .NAME.tubelet-* file")
            return
        }
        TemporaryOutputs.follow(
            track: { path in tubelet_interrupt_track(path) },
            untrack: { slot in tubelet_interrupt_untrack(slot) })
    }
}

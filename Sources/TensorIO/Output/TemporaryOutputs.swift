/// The temporary files and directories that ``AtomicOutput`` and ``AtomicDirectoryOutput``
/// create, announced to whoever the program asks to follow them.
///
/// A program that ends on a signal (Ctrl-C, SIGTERM, a closed terminal) must remove the
/// temporaries of the output it was writing, or each interrupted run leaves a hidden file
/// as large as the checkpoint. Only the program may take over signal handling (a library
/// must not), and the handler must find the paths without allocating or locking, so the
/// program supplies the bookkeeping: `track` is called with each temporary's path *before*
/// the temporary is created (so an interrupt between the two finds nothing and harms
/// nothing) and `untrack` with what `track` returned once the temporary has been renamed
/// into place or removed. Without a tracker, nothing is announced.
public enum TemporaryOutputs {
    public typealias Track = @Sendable (String) -> Int32
    public typealias Untrack = @Sendable (Int32) -> Void

    nonisolated(unsafe) private static var tracker: (track: Track, untrack: Untrack)?

    /// Sets the tracker. Call once, at program start, before any output is written.
    public static func follow(track: @escaping Track, untrack: @escaping Untrack) {
        tracker = (track, untrack)
    }

    /// Runs `body` with `temporary` tracked; it is untracked when `body` returns or throws.
    static func tracking<Result, Failure: Error>(
        _ temporary: String, _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let tracker else { return try body() }
        let token = tracker.track(temporary)
        defer { tracker.untrack(token) }
        return try body()
    }
}

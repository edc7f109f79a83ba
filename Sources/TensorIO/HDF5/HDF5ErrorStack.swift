internal import CHDF5

/// HDF5's own account of a failure: the error stack of the calling thread, from the API call
/// down to the innermost function that detected the problem.
///
/// libhdf5 reports failure as a negative return value only; the reason (`unable to open file:
/// name = 'x.h5', errno = 2`, `truncated file: eof = …`, `bad version number for layout
/// message`) is on the stack. It is collected right after the failing call, inside the same
/// lock, because the stack is per thread and the next call clears it.
struct HDF5ErrorStack: Sendable {
    struct Entry: Sendable {
        /// The function that pushed the entry, e.g. `H5Dopen2`.
        var function: String
        /// What it said, e.g. `unable to open dataset`.
        var description: String
    }

    /// Outermost (the API call) first.
    var entries: [Entry]

    /// Reads and clears the calling thread's error stack. Call inside ``HDF5Library/withLock(_:)``.
    static func current() -> HDF5ErrorStack {
        var entries: [Entry] = []
        withUnsafeMutablePointer(to: &entries) { pointer in
            _ = H5Ewalk2(chdf5_e_default(), H5E_WALK_DOWNWARD, { _, error, context in
                guard let error, let context else { return 0 }
                let function = error.pointee.func_name.map { String(cString: $0) } ?? "?"
                let description = error.pointee.desc.map { String(cString: $0) } ?? ""
                context.assumingMemoryBound(to: [Entry].self).pointee.append(Entry(function: function, description: description))
                return 0
            }, UnsafeMutableRawPointer(pointer))
        }
        H5Eclear2(chdf5_e_default())
        return HDF5ErrorStack(entries: entries)
    }

    /// The innermost description, which usually names the actual cause.
    var cause: String {
        entries.last(where: { !$0.description.isEmpty })?.description ?? "libhdf5 reported a failure but no reason"
    }

    /// The whole stack on one line: `H5Dopen2(): unable to open dataset; …; H5G__loc_find_cb(): object 'w' doesn't exist`.
    var text: String {
        entries.map { "\($0.function)(): \($0.description)" }.joined(separator: "; ")
    }

    /// Whether any entry's description contains `fragment`.
    func mentions(_ fragment: String) -> Bool {
        entries.contains { $0.description.contains(fragment) }
    }

    /// A reason for a ``CheckpointError``: what Tubelet was doing, HDF5's innermost cause, and
    /// the full stack in brackets for whoever has to dig further.
    func reason(_ doing: String) -> String {
        entries.isEmpty ? "\(doing): \(cause)" : "\(doing): \(cause) [HDF5 error stack: \(text)]"
    }
}

import Dispatch

/// Splitting work over the machine's cores, for the few loops over whole tensors that are
/// worth it (statistics over gigabytes of weights).
///
/// The work is always split the same way, whatever the number of cores, so results that
/// depend on the order of floating-point additions are the same on every machine; only how
/// many of the parts run at once changes.
enum Parallel {
    /// `body(part)` for each of `parts` parts, run concurrently where cores allow, and the
    /// results in part order.
    static func map<Result>(parts: Int, _ body: (Int) -> Result) -> [Result] {
        guard parts > 1 else { return parts == 1 ? [body(0)] : [] }
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: parts)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        withoutActuallyEscaping(body) { body in
            let shared = Shared(body: body, results: results)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                shared.results[part] = shared.body(part)
            }
        }
        return results.compactMap { $0 }
    }

    /// The closure and the result slots the parts share. Each part writes only its own
    /// slot, and `concurrentPerform` returns only when every part has finished.
    private struct Shared<Result>: @unchecked Sendable {
        let body: (Int) -> Result
        let results: UnsafeMutableBufferPointer<Result?>
    }
}

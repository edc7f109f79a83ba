/// A source that reports progress as a writer takes its tensors, so every writer, whatever
/// its format, reports progress per tensor without code of its own.
///
/// Writers read tensors one at a time and write each before reading the next, so when the
/// writer asks for a tensor, every tensor it asked for before has been written: that is
/// what is reported, before the read. ``finish()`` reports the whole once the write is done.
final class ProgressReportingSource: TensorSource {
    private let base: any TensorSource
    private let handler: ProgressHandler
    private let sizes: [String: Int]
    private let total: Int
    private var done = 0
    private var taken: Set<String> = []

    init(_ base: any TensorSource, handler: @escaping ProgressHandler) {
        self.base = base
        self.handler = handler
        var sizes: [String: Int] = [:]
        for info in base.tensors { sizes[info.name] = info.byteCount }
        self.sizes = sizes
        total = sizes.values.reduce(0, +)
    }

    var path: String { base.path }
    var format: CheckpointFormat { base.format }
    var tensors: [TensorInfo] { base.tensors }
    var metadata: [String: String] { base.metadata }

    func read(_ name: String) throws(CheckpointError) -> Tensor {
        handler(TensorProgress(bytesDone: done, bytesTotal: total, tensorsDone: taken.count, tensorsTotal: sizes.count))
        let tensor = try base.read(name)
        // A tensor read twice (a writer that checks before it writes) counts once.
        if taken.insert(name).inserted { done += sizes[name] ?? 0 }
        return tensor
    }

    /// Reports the write as complete.
    func finish() {
        handler(TensorProgress(bytesDone: total, bytesTotal: total, tensorsDone: sizes.count, tensorsTotal: sizes.count))
    }
}

import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

@Suite("Progress while writing")
struct WriteProgressTests {
    /// The reports a write made, collected from whichever thread made them.
    final class Reports: @unchecked Sendable {
        private let lock = NSLock()
        private var reports: [TensorProgress] = []
        func add(_ report: TensorProgress) { lock.withLock { reports.append(report) } }
        var all: [TensorProgress] { lock.withLock { reports } }
    }

    @Test("Every writer reports each tensor as it takes it, in order, and the whole once done",
          arguments: ["out.npz", "out.safetensors", "out.pth", "out.h5"])
    func reports(name: String) throws {
        let directory = TestDirectory()
        let source = InMemorySource()
        for (index, count) in [10, 1, 300, 7].enumerated() {
            try source.add("layer\(index)", Tensor(float32: Array(repeating: 1, count: count), shape: [count]))
        }
        let total = source.tensors.reduce(0) { $0 + $1.byteCount }
        let reports = Reports()
        try Checkpoint.write(source, to: directory.file(name), options: WriteOptions(progress: { reports.add($0) }))
        let all = reports.all
        #expect(all.count == source.tensors.count + 1)
        #expect(all.map(\.bytesDone) == [0, 40, 44, 1244, 1272])
        #expect(all.allSatisfy { $0.bytesTotal == total && $0.tensorsTotal == 4 })
        #expect(all.last == TensorProgress(bytesDone: total, bytesTotal: total, tensorsDone: 4, tensorsTotal: 4))
    }

    @Test("A failed write reports no completion")
    func failure() throws {
        let directory = TestDirectory()
        let source = InMemorySource()
        try source.add("x", Tensor(float32: [1], shape: [1]))
        let reports = Reports()
        _ = FileManager.default.createFile(atPath: directory.file("taken.npz"), contents: Data())
        #expect(throws: CheckpointError.self) {
            try Checkpoint.write(source, to: directory.file("taken.npz"), options: WriteOptions(progress: { reports.add($0) }))
        }
        #expect(!reports.all.contains { $0.bytesDone == $0.bytesTotal && $0.tensorsDone == 1 })
    }
}

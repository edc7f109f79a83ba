import Foundation
import Testing
import TubeletTestSupport
@testable import TensorIO

/// Every in-process HDF5 test, serialized: the leak checks count libhdf5's open identifiers
/// process-wide, so no other HDF5 work may run while one of them does. (The command-line tests
/// run `tubelet` in child processes and do not count.)
@Suite("HDF5", .serialized)
struct HDF5Tests {
    static let repositoryRoot = TestSupport.repositoryRoot

    static func checkpoint(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Checkpoints/\(name)").path
    }

    static func malformedFixture(_ name: String) -> String {
        repositoryRoot.appendingPathComponent("Tests/Fixtures/malformed-hdf5/\(name)").path
    }

    /// Every tensor of `source`, read, by name.
    static func readAll(_ source: any TensorSource) throws -> [String: [UInt8]] {
        var tensors: [String: [UInt8]] = [:]
        for info in source.tensors {
            let tensor = try source.read(info.name)
            #expect(tensor.dtype == info.dtype && tensor.shape == info.shape, "\(info.name)")
            tensors[info.name] = tensor.bytes.array
        }
        return tensors
    }

    /// One tensor of every dtype under nested names, a scalar, empty tensors, and metadata
    /// with the awkward cases (a key with '/', non-ASCII, a long value).
    static func everyDType() throws -> InMemorySource {
        let source = InMemorySource(metadata: [
            "origin": "unit test", "note": "ünïcode ✓", "group/like/key": "value",
            "long": String(repeating: "0123456789", count: 10_000), "empty": "",
        ])
        for (index, dtype) in DType.allCases.enumerated() {
            let shape = [2, 3]
            let count = Shape.byteCount(shape, dtype) ?? 0
            let bytes = try TensorBytes((0..<count).map { UInt8(truncatingIfNeeded: $0 * 7 + index) & (dtype == .bool ? 1 : 0xff) })
            try source.add("group/\(dtype.rawValue)/values", Tensor(dtype: dtype, shape: shape, bytes: bytes))
        }
        try source.add("z_scalar", Tensor(float32: [3.5], shape: []))
        try source.add("empty", Tensor(float32: [], shape: [0, 4]))
        try source.add("nested/empty_bf16", Tensor(dtype: .bfloat16, shape: [3, 0], bytes: TensorBytes([])))
        try source.add("a_last", Tensor(float32: Array(repeating: 1, count: 300_000), shape: [600, 500]))
        return source
    }
}

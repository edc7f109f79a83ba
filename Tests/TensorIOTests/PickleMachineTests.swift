import Testing
@testable import TensorIO

@Suite("The restricted unpickler")
struct PickleMachineTests {
    func run(_ bytes: [UInt8]) throws(CheckpointError) -> (PickleMachine, PickleValue) {
        let (machine, root) = try PickleMachine.run(bytes, path: "t.pth", member: "t/data.pkl")
        return (machine, root)
    }

    func failure(_ bytes: [UInt8]) -> String? {
        do {
            _ = try run(bytes)
            return nil
        } catch {
            return error.description
        }
    }

    /// `data.pkl` as PyTorchWriter writes it for `tensors`.
    func statePickle(_ tensors: [TensorInfo]) -> [UInt8] {
        PyTorchWriter.pickle(tensors)
    }

    @Test("The writer's pickle runs back into the same tensors, names and storages")
    func writerRoundTrip() throws {
        let infos = [
            TensorInfo(name: "w", dtype: .float32, shape: [2, 3]),
            TensorInfo(name: "u", dtype: .uint16, shape: [4]),
            TensorInfo(name: "s", dtype: .bfloat16, shape: []),
            TensorInfo(name: "e", dtype: .bool, shape: [0, 2]),
        ]
        let (machine, root) = try run(statePickle(infos))
        let state = try TorchStateDict.collect(root: root, machine: machine, bareTensorName: "x", path: "t.pth", member: "m")
        #expect(state.tensors.map(\.name) == ["w", "u", "s", "e"])
        #expect(state.tensors.map(\.tensor.dtype) == [.float32, .uint16, .bfloat16, .bool])
        #expect(state.tensors.map(\.tensor.shape) == [[2, 3], [4], [], [0, 2]])
        #expect(state.tensors.map(\.tensor.strides) == [[3, 1], [1], [], [2, 1]])
        #expect(machine.storages.map(\.key) == ["0", "1", "2", "3"])
        #expect(machine.storages.map(\.byteCount) == [24, 8, 2, 0])
        #expect(machine.storages[1].isUntyped)
    }

    @Test("More than 1000 items and 256 memo entries: SETITEMS batches and LONG_BINPUT/GET")
    func largeStateDict() throws {
        let infos = (0..<1500).map { TensorInfo(name: "p\($0)", dtype: $0 % 2 == 0 ? .float16 : .int64, shape: [1]) }
        let pickle = statePickle(infos)
        #expect(pickle.contains(PickleOpcode.setItems.rawValue))
        let (machine, root) = try run(pickle)
        let state = try TorchStateDict.collect(root: root, machine: machine, bareTensorName: "x", path: "t.pth", member: "m")
        #expect(state.tensors.count == 1500)
        #expect(state.tensors.last?.name == "p1499")
    }

    @Test("Large integers round-trip through LONG1 and BININT")
    func integers() throws {
        for value in [0, 255, 256, 65_535, 65_536, -1, Int(Int32.max), Int(Int32.max) + 1, -Int(Int32.max) - 2, Int.max, Int.min] {
            var writer = PickleWriter()
            writer.int(value)
            writer.op(.stop)
            let (_, root) = try run(writer.bytes)
            guard case .int(let read) = root else {
                Issue.record("\(value) read as \(root)")
                continue
            }
            #expect(read == value)
        }
        let (_, big) = try run([0x80, 0x02, 0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x2e])
        guard case .bigInt = big else {
            Issue.record("2^64 read as \(big)")
            return
        }
    }

    @Test("Refusals name their cause", arguments: [
        ([0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x29, 0x52, 0x2e], "GLOBAL os.system"),
        ([0x80, 0x02, 0x63] + Array("builtins\neval\n".utf8) + [0x2e], "GLOBAL builtins.eval"),
        ([0x80, 0x04, 0x95, 1, 0, 0, 0, 0, 0, 0, 0, 0x4e, 0x2e], "0x95 (FRAME)"),
        ([0x80, 0x02, 0x28, 0x69] + Array("os\nsystem\n".utf8) + [0x2e], "0x69 (INST)"),
        ([0x80, 0x02, 0x93, 0x2e], "0x93 (STACK_GLOBAL)"),
        ([0x80, 0x02, 0x4e, 0x4e, 0x2e], "2 values on its stack"),
        ([0x80, 0x02, 0x2e], "0 values on its stack"),
        ([0x80, 0x02, 0x28, 0x4e, 0x2e], "MARK(s) still open"),
        ([0x80, 0x02, 0x4e, 0x28, 0x74, 0x74, 0x2e], "needs a MARK"),
        ([0x80, 0x02, 0x4e, 0x28, 0x85, 0x2e], "stack underflow"),
        ([0x80, 0x02, 0x6a, 0, 1, 0, 0, 0x2e], "memo entry 256"),
        ([0x80, 0x02, 0x4e], "without a STOP"),
        ([0x80, 0x02, 0x4e, 0x2e, 0x4e], "follow the pickle's STOP"),
        ([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0xff, 0x2e], "only 1 remain"),
        ([0x80, 0x02, 0x58, 2, 0, 0, 0, 0xc3, 0x28, 0x2e], "not valid UTF-8"),
        ([0x80, 0x02, 0x5d, 0x4e, 0x4e, 0x73, 0x2e], "SETITEM on a list"),
        ([0x80, 0x02, 0x7d, 0x4e, 0x61, 0x2e], "APPEND on a dict"),
        ([0x80, 0x02, 0x5d, 0x7d, 0x62, 0x2e], "BUILD on a list"),
        ([0x80, 0x02, 0x4e, 0x29, 0x52, 0x2e], "REDUCE calls a None"),
        ([0x80, 0x02, 0x4e, 0x51, 0x2e], "persistent id"),
    ] as [([UInt8], String)])
    func refusals(_ bytes: [UInt8], _ fragment: String) {
        let message = failure(bytes)
        #expect(message?.contains(fragment) == true, "\(String(describing: message))")
    }

    @Test("Limits: deep containers stay flat; nesting the walker meets is bounded")
    func limits() throws {
        // A million nested 1-tuples: built without recursion, and released without it.
        var bytes: [UInt8] = [0x80, 0x02, 0x29]
        bytes += [UInt8](repeating: 0x85, count: 1_000_000)
        bytes.append(0x2e)
        let (machine, root) = try run(bytes)
        #expect(machine.objects.count == 1_000_001)
        let state = try TorchStateDict.collect(root: root, machine: machine, bareTensorName: "x", path: "t.pth", member: "m")
        #expect(state.tensors.isEmpty)
        var limits = PickleMachine.Limits()
        limits.maxOperations = 10
        #expect(throws: CheckpointError.self) {
            try PickleMachine.run([0x80, 0x02] + [UInt8](repeating: 0x4e, count: 20) + [0x2e], path: "t", member: "m", limits: limits)
        }
        limits = PickleMachine.Limits()
        limits.maxMemo = 2
        #expect(throws: CheckpointError.self) {
            try PickleMachine.run([0x80, 0x02, 0x4e, 0x71, 0, 0x71, 1, 0x71, 2, 0x2e], path: "t", member: "m", limits: limits)
        }
    }

    @Test("A memo-shared tree that doubles at every level is refused, not walked for ever")
    func sharedSubtrees() throws {
        func key(_ text: String) -> [UInt8] { [0x58, UInt8(text.utf8.count), 0, 0, 0] + Array(text.utf8) }
        // D1 = {"a": 1, "b": 1}; D(n+1) = {"a": Dn, "b": Dn}: 2^40 leaves in 40 dicts.
        // Built inline from the outside in, so each dict is consumed by its parent's SETITEMS.
        var bytes: [UInt8] = [0x80, 0x02]
        for _ in 2...40 { bytes += [0x7d, 0x28] + key("a") }
        bytes += [0x7d, 0x28] + key("a") + [0x4b, 1] + key("b") + [0x4b, 1, 0x75, 0x71, 1]
        for level in 2...40 {
            bytes += key("b") + [0x68, UInt8(level - 1), 0x75, 0x71, UInt8(level)]
        }
        bytes.append(0x2e)
        let (machine, root) = try run(bytes)
        #expect(throws: CheckpointError.self) {
            try TorchStateDict.collect(root: root, machine: machine, bareTensorName: "x", path: "t.pth", member: "m")
        }
    }

    @Test("Strided views: bounds, contiguity and gathering")
    func stridedViews() throws {
        let storage: [Float] = (0..<12).map(Float.init)
        let view = StridedView(offset: 1, shape: [2, 3], strides: [1, 4])  // a transposed slice
        try view.check(storageElements: 12)
        #expect(!view.isContiguousFromStart)
        var out = [Float](repeating: -1, count: 6)
        storage.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { destination in view.gather(from: source, elementSize: 4, into: destination) }
        }
        #expect(out == [1, 5, 9, 2, 6, 10])
        #expect(StridedView(offset: 0, shape: [3, 1, 4], strides: [4, 99, 1]).isContiguousFromStart)
        #expect(throws: StridedView.OutOfBounds.self) { try StridedView(offset: 9, shape: [2, 2], strides: [2, 1]).check(storageElements: 12) }
        #expect(throws: StridedView.OutOfBounds.self) { try StridedView(offset: 0, shape: [2], strides: [Int.max]).check(storageElements: 12) }
        #expect(throws: StridedView.OutOfBounds.self) { try StridedView(offset: -1, shape: [1], strides: [1]).check(storageElements: 12) }
        try StridedView(offset: 12, shape: [0, 5], strides: [5, 1]).check(storageElements: 12)
    }
}

import Testing
@testable import TensorIO

@Suite("safetensors headers and strict JSON")
struct SafeTensorsHeaderTests {
    /// A whole file: length prefix, `header` padded with spaces, `data`.
    func file(_ header: String, data: [UInt8]) -> [UInt8] {
        var text = Array(header.utf8)
        text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
        var bytes: [UInt8] = []
        for shift in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: UInt64(text.count) >> (8 * UInt64(shift)))) }
        return bytes + text + data
    }

    func parse(_ bytes: [UInt8]) throws(CheckpointError) -> SafeTensorsHeader {
        var result: Result<SafeTensorsHeader, CheckpointError>!
        bytes.withUnsafeBytes { raw in
            result = Result { () throws(CheckpointError) in try SafeTensorsHeader.parse(raw, path: "t.safetensors") }
        }
        return try result.get()
    }

    func error(_ bytes: [UInt8]) -> CheckpointError? {
        do {
            _ = try parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("Entries come back in data order with their metadata, whatever the JSON order")
    func parsesEntriesInOffsetOrder() throws {
        let header = #"{"b":{"dtype":"F16","shape":[2],"data_offsets":[8,12]},"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"e":{"dtype":"BF16","shape":[0,3],"data_offsets":[12,12]}}"#
        let parsed = try parse(file(header, data: [UInt8](repeating: 1, count: 12)))
        #expect(parsed.entries.map(\.name) == ["a", "b", "e"])
        #expect(parsed.entries.map(\.dtype) == [.int64, .float16, .bfloat16])
        #expect(parsed.metadata == ["format": "pt"])
        #expect(parsed.dataOffset == 8 + (header.utf8.count + 7) / 8 * 8)
    }

    @Test("Bad headers are refused with the cause", arguments: [
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#, 16, "appears twice"),
        (#"{"w":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, 2, "is not supported"),
        (#"{"w":{"dtype":"X","shape":[2],"data_offsets":[0,2]}}"#, 2, "unknown dtype 'X'"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#, 6, "overlaps"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[1,5]}}"#, 5, "leaves a gap"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, 3, "need 4 bytes"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, 5, "not fully covered"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,3]}}"#, 3, "needs 4 bytes"),
        (#"{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,3]}}"#, 3, "not a non-negative integer"),
        (#"{"__metadata__":{"a":["x"]}}"#, 0, "must be strings"),
        (#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},}"#, 4, "not valid JSON"),
    ])
    func refusesBadHeaders(_ header: String, _ dataCount: Int, _ fragment: String) {
        let failure = error(file(header, data: [UInt8](repeating: 0, count: dataCount)))
        #expect(failure?.description.contains(fragment) == true, "\(String(describing: failure))")
    }

    @Test("Length prefixes that lie about the file are refused before anything is parsed")
    func refusesBadLengths() {
        #expect(error([1, 2, 3])?.kind == .truncated)
        let huge: [UInt8] = [0x01, 0xe1, 0xf5, 0x05, 0, 0, 0, 0]  // 100_000_001, one over the cap
        #expect(error(huge + Array("{}".utf8))?.kind == .limitExceeded)
        #expect(error([16, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8))?.kind == .truncated)
        #expect(error([2, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)) == nil)
    }

    @Test("The writer's header is the reference layout: dtype rank, then name, space-padded to 8")
    func rendersReferenceHeader() {
        let tensors = [
            TensorInfo(name: "b", dtype: .float32, shape: [2]),
            TensorInfo(name: "a", dtype: .bool, shape: [3]),
            TensorInfo(name: "Z", dtype: .float32, shape: []),
            TensorInfo(name: "q\"\n\u{01}é", dtype: .uint64, shape: [1]),
        ]
        let (text, order) = SafeTensorsWriter.header(for: tensors, metadata: ["format": "pt"])
        #expect(order.map(\.name) == ["q\"\n\u{01}é", "Z", "b", "a"])
        let expected = #"{"__metadata__":{"format":"pt"},"q\"\n\u0001é":{"dtype":"U64","shape":[1],"data_offsets":[0,8]},"Z":{"dtype":"F32","shape":[],"data_offsets":[8,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"a":{"dtype":"BOOL","shape":[3],"data_offsets":[20,23]}}"#
        #expect(String(decoding: text, as: UTF8.self).trimmingSuffixSpaces == expected)
        #expect(text.count % 8 == 0)
    }

    @Test("Strict JSON: escapes, surrogate pairs, numbers kept as text, nesting bounded")
    func strictJSON() throws {
        let value = try StrictJSON.parse(Array(#" {"k\u00e9\ud83d\ude00":[1,-2.5e3,true,null,"\/"]} "#.utf8))
        #expect(value == .object([(key: "ké😀", value: .array([.number("1"), .number("-2.5e3"), .bool(true), .null, .string("/")]))]))
        #expect(JSONValue.number("18446744073709551616").integer == nil)
        #expect(throws: StrictJSON.Problem.self) { try StrictJSON.parse(Array("01".utf8)) }
        #expect(throws: StrictJSON.Problem.self) { try StrictJSON.parse(Array(String(repeating: "[", count: 65).utf8) + Array(String(repeating: "]", count: 65).utf8)) }
        #expect(throws: StrictJSON.Problem.self) { try StrictJSON.parse(Array(#"{"a":1,"a":2}"#.utf8)) }
        #expect(throws: StrictJSON.Problem.self) { try StrictJSON.parse(Array("\"\u{01}\"".utf8)) }
        #expect(throws: StrictJSON.Problem.self) { try StrictJSON.parse(Array(#""\ud800""#.utf8)) }
    }

    @Test("Shard plans follow huggingface_hub: oversized tensors alone, otherwise greedy")
    func shardPlan() {
        let infos = [10, 30, 80, 5, 60, 50].enumerated().map { TensorInfo(name: "t\($0)", dtype: .uint8, shape: [$1]) }
        let plan = SafeTensorsWriter.planShards(infos, maxShardBytes: 64).map { $0.map(\.name) }
        #expect(plan == [["t2"], ["t0", "t1", "t3"], ["t4"], ["t5"]])
        #expect(SafeTensorsWriter.planShards([], maxShardBytes: 1).count == 1)
    }
}

extension String {
    fileprivate var trimmingSuffixSpaces: String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}

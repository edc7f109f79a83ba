@testable import TensorIO

/// The restricted unpickler, on the input as a `data.pkl`, then the state-dict walk over
/// whatever it built.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickleMachine(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: data, count: count))
    guard let (machine, root) = try? PickleMachine.run(bytes, path: "fuzz.pth", member: "fuzz/data.pkl") else { return 0 }
    _ = try? TorchStateDict.collect(root: root, machine: machine, bareTensorName: "fuzz", path: "fuzz.pth", member: "fuzz/data.pkl")
    return 0
}

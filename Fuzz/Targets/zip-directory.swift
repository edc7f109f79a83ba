@testable import TensorIO

/// Zip archives: Tubelet's own central-directory parser (the npz fast path), then the input
/// as a file through libzip as an `.npz` and as a torch archive, reading every tensor.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZipDirectory(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    if let directory = ZipDirectory(bytes) {
        for member in directory.members { _ = member?.isStoredInside(fileSize: count) }
    }
    let path = FuzzInput.file(bytes, suffix: "zip")
    if let source = try? NPZReader().open(path, options: FuzzInput.options) { FuzzInput.drain(source) }
    if let source = try? PyTorchSource(path: path, limits: FuzzInput.options.limits) { FuzzInput.drain(source) }
    return 0
}

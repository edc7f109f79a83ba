@testable import TensorIO

/// The HDF5 reader's entry point: the input opened as an in-memory file image (as a `.keras`
/// member is), its groups walked, every dataset inspected and read.
///
/// Tubelet's own handle discipline is checked on every input, success or failure: once the
/// source is gone, no identifier of any kind may be open. (LeakSanitizer is off for this
/// target, see Fuzz/README.md: libhdf5 1.10.8 leaks memory on many corrupt-file error paths
/// inside the library, with no handle given back to close.)
///
/// libhdf5 1.10.8 itself also reads out of bounds or crashes on some corrupt files (in
/// H5HG_read, H5F__accum_read, …); Swift cannot stop a C library from doing that. Such
/// crashes are real findings about the input path and are reported, not hidden.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHDF5Reader(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: count)
    do {
        guard let file = try? HDF5File(image: bytes, name: "fuzz.h5", path: "fuzz.h5") else { return 0 }
        if let source = try? HDF5Source(file: file, format: .hdf5, options: FuzzInput.options) { FuzzInput.drain(source) }
        let held = HDF5Library.openObjectCount(in: file)
        if held != 1 { fatalError("Tubelet left \(held - 1) libhdf5 objects open in the file") }
    }
    let counts = HDF5Library.openCounts()
    if counts != HDF5Library.OpenCounts(fileObjects: 0, handles: 0) { fatalError("Tubelet left libhdf5 identifiers open: \(counts)") }
    return 0
}

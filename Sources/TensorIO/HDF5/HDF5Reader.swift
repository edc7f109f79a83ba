/// Reads HDF5 files through libhdf5: Keras 2 / tf.keras `.h5` (weights-only and full-model),
/// Hugging Face `tf_model.h5`, Keras 3 `.weights.h5`, and any HDF5 file of numeric datasets
/// h5py writes.
///
/// Every dataset becomes a tensor named by its path; dtypes are float16/32/64 in either byte
/// order, integers of every width, h5py's bool enum, and bfloat16 stored as Keras 3 stores it
/// (2-byte opaque with a `dtype = "bfloat16"` attribute, or any 2-byte opaque with
/// ``ReadOptions/opaqueTwoByteAsBFloat16``). Contiguous, chunked, gzip- and shuffle-filtered
/// datasets read alike. Attributes become metadata (see ``HDF5Source``). A dataset over
/// ``TensorBytes/sliceBytes`` is streamed, read a hyperslab at a time as it is consumed
/// (``HDF5SlabReader``), so memory does not follow the largest dataset.
///
/// Refused with a message naming the dataset and what to do: filters this libhdf5 lacks
/// (blosc, lzf, …), compound, string, variable-length and other non-numeric types, storage
/// layouts newer than the installed libhdf5 reads, virtual and external datasets, a Keras
/// weight list naming a dataset that does not exist, and sizes the stored bytes cannot produce.
///
/// libhdf5 has a long record of memory-safety bugs triggered by crafted files; Tubelet checks
/// every size it can before allocating, but cannot validate everything libhdf5 parses. Treat
/// HDF5 files from untrusted sources with the care any native parser deserves.
public struct HDF5Reader: CheckpointReader {
    public var format: CheckpointFormat { .hdf5 }

    public init() {}

    public func open(_ path: String, options: ReadOptions) throws(CheckpointError) -> any TensorSource {
        try HDF5Source(file: HDF5File(path: path), format: .hdf5, options: options)
    }
}

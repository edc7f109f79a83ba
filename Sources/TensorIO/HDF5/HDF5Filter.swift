/// Names of HDF5 filters (compression and checksum plugins), for messages about filters this
/// libhdf5 lacks. IDs from The HDF Group's registry of filter plugins.
enum HDF5Filter {
    static func name(of id: Int32) -> String? {
        switch id {
        case 1: "deflate (gzip)"
        case 2: "shuffle"
        case 3: "fletcher32"
        case 4: "szip"
        case 5: "nbit"
        case 6: "scaleoffset"
        case 307: "bzip2"
        case 32000: "lzf"
        case 32001: "blosc"
        case 32004: "lz4"
        case 32008: "bitshuffle"
        case 32013: "zfp"
        case 32015: "zstd"
        case 32017: "sz"
        case 32026: "blosc2"
        default: nil
        }
    }
}

internal import CHDF5

/// The HDF5 datatype Tubelet writes for each dtype: what h5py writes for the same numpy
/// array, so h5py, Keras and `h5dump` read it back as that dtype.
///
/// Little-endian integers and IEEE floats; float16 as h5py's custom 2-byte float (HDF5 1.10
/// has no predefined half type); bool as h5py's enum over int8 {FALSE = 0, TRUE = 1}; bfloat16
/// as Keras 3 writes it, 2-byte opaque data plus a `dtype = "bfloat16"` dataset attribute
/// (a float type with bfloat16's fields is valid HDF5 but h5py cannot read it).
enum HDF5FileType {
    /// A new datatype for `dtype`, owned by the caller. Call inside ``HDF5Library/withLock(_:)``.
    static func make(_ dtype: DType) -> HDF5ID? {
        switch dtype {
        case .bool:
            guard let type = HDF5ID(H5Tenum_create(chdf5_t_std_i8le()), .datatype) else { return nil }
            var no: Int8 = 0
            var yes: Int8 = 1
            guard H5Tenum_insert(type.raw, "FALSE", &no) >= 0, H5Tenum_insert(type.raw, "TRUE", &yes) >= 0 else { return nil }
            return type
        case .float16:
            guard let type = HDF5ID(H5Tcopy(chdf5_t_ieee_f32le()), .datatype),
                  H5Tset_fields(type.raw, 15, 10, 5, 0, 10) >= 0,
                  H5Tset_size(type.raw, 2) >= 0,
                  H5Tset_ebias(type.raw, 15) >= 0,
                  H5Tset_precision(type.raw, 16) >= 0 else { return nil }
            return type
        case .bfloat16:
            return HDF5ID(H5Tcreate(H5T_OPAQUE, 2), .datatype)
        default:
            let predefined: hid_t = switch dtype {
            case .int8: chdf5_t_std_i8le()
            case .int16: chdf5_t_std_i16le()
            case .int32: chdf5_t_std_i32le()
            case .int64: chdf5_t_std_i64le()
            case .uint8: chdf5_t_std_u8le()
            case .uint16: chdf5_t_std_u16le()
            case .uint32: chdf5_t_std_u32le()
            case .uint64: chdf5_t_std_u64le()
            case .float64: chdf5_t_ieee_f64le()
            default: chdf5_t_ieee_f32le()
            }
            return HDF5ID(H5Tcopy(predefined), .datatype)
        }
    }

    /// A variable-length UTF-8 string type, as h5py writes `str` attributes.
    static func utf8String() -> HDF5ID? {
        guard let type = HDF5ID(H5Tcopy(chdf5_t_c_s1()), .datatype),
              H5Tset_size(type.raw, chdf5_t_variable()) >= 0,
              H5Tset_cset(type.raw, H5T_CSET_UTF8) >= 0 else { return nil }
        return type
    }
}

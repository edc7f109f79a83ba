internal import CLibzip

/// Turns libzip's error codes and error structs into ``CheckpointError`` text.
enum ZipErrorText {
    /// The text for a `zip_open` error code.
    static func forOpenCode(_ code: Int32) -> String {
        if code == ZIP_ER_NOZIP {
            return "not a zip archive, or truncated (no end-of-central-directory record)"
        }
        var error = zip_error_t()
        zip_error_init_with_code(&error, code)
        defer { zip_error_fini(&error) }
        return String(cString: zip_error_strerror(&error))
    }

    /// The text of an archive's last error.
    static func of(_ archive: OpaquePointer) -> String {
        String(cString: zip_strerror(archive))
    }

    /// The text of an open member's last error.
    static func ofFile(_ file: OpaquePointer) -> String {
        String(cString: zip_file_strerror(file))
    }
}

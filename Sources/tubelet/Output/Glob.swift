#if canImport(Glibc)
import Glibc
#endif

/// Shell-style name matching for `--filter`, through the C library's `fnmatch`.
///
/// `*` matches across `/` as well, so `'*/query/*'` finds every query projection.
enum Glob {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}

import FoundationEssentials
import Synchronization
internal import CHDF5

/// The one door to libhdf5: every HDF5 call in Tubelet runs inside ``withLock(_:)``.
///
/// Debian's libhdf5 is built thread-safe and serialises its API calls on a global lock of its
/// own, but other builds (Homebrew, conda, many distributions' non-"serial" packages) are not
/// thread-safe at all; this lock makes Tubelet safe on both, at no cost, since HDF5 calls
/// never run in parallel anyway.
///
/// The lock is recursive because an identifier's `deinit` closes it under the lock, and a
/// handle can go out of scope while a batch of calls already holds it.
///
/// Inside the lock, before each batch, automatic error printing is switched off: in the
/// thread-safe build that setting (like the error stack) is *per thread*, and Swift code runs
/// on whatever thread it is given, so silencing it once at start-up would still let HDF5 print
/// its `HDF5-DIAG` dump to stderr from any other thread. Errors are read from the stack instead
/// (``HDF5ErrorStack``) and reported in the ``CheckpointError``.
enum HDF5Library {
    private static let lock = RecursiveLock()

    /// Runs `body` holding the library lock, with error printing off and an empty error
    /// stack on this thread.
    static func withLock<Result: ~Copyable, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        lock.lock()
        CrashGuard.enterLibrary()
        defer {
            CrashGuard.leaveLibrary()
            lock.unlock()
        }
        H5Eset_auto2(chdf5_e_default(), nil, nil)
        H5Eclear2(chdf5_e_default())
        return try body()
    }

    /// The libhdf5 version this process runs, e.g. "1.10.8", for messages.
    static var version: String {
        withLock { () -> String in
            var major: UInt32 = 0
            var minor: UInt32 = 0
            var release: UInt32 = 0
            H5get_libversion(&major, &minor, &release)
            return "\(major).\(minor).\(release)"
        }
    }

    /// What is open right now, process-wide, for tests that prove every handle was closed.
    struct OpenCounts: Equatable, Sendable {
        /// Open files, groups, datasets, attributes and named datatypes, as libhdf5 counts them
        /// (`H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL)`).
        var fileObjects: Int
        /// Identifiers of every kind (dataspaces, datatypes and property lists too, which
        /// libhdf5 1.10 has no public way to count) held by ``HDF5ID`` owners.
        var handles: Int
    }

    /// Counts ``HDF5ID`` owners alive; every identifier Tubelet opens has one.
    static let liveHandles = Atomic<Int>(0)

    static func openCounts() -> OpenCounts {
        withLock { () -> OpenCounts in
            let objects = H5Fget_obj_count(hid_t(chdf5_f_obj_all()), chdf5_f_obj_all())
            return OpenCounts(fileObjects: Int(objects), handles: liveHandles.load(ordering: .relaxed))
        }
    }

    /// Open objects of the file `file` (the file itself included), for tests that check that
    /// nothing but the file is held between operations.
    static func openObjectCount(in file: HDF5File) -> Int {
        withLock { Int(H5Fget_obj_count(file.id.raw, chdf5_f_obj_all())) }
    }
}

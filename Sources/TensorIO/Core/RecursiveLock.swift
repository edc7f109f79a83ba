#if canImport(Glibc)
import Glibc
#endif

/// A lock the thread holding it may take again, on a pthread recursive mutex.
///
/// Foundation's `NSRecursiveLock` does the same, but Tubelet links only FoundationEssentials:
/// full Foundation (with ICU) in the static release binary costs every run ~1 ms of start-up.
final class RecursiveLock: @unchecked Sendable {
    /// On the heap, so the mutex never moves (a pthread mutex must not be copied).
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }

    func unlock() { pthread_mutex_unlock(mutex) }
}

#if canImport(Glibc)
import Glibc
#endif

/// Turns a crash inside libhdf5 into the same clean refusal as any other bad input: one
/// `Error: FILE: …` line, exit status 1, and no temporary output left behind.
///
/// libhdf5 1.10.8 does not check every structure of a file against the file: on some corrupt
/// files it copies with a length read from the file (`H5HG_read`) or reads past its buffers
/// (`H5F__accum_read`), and the process gets SIGSEGV or SIGBUS before the library returns.
/// Swift cannot stop a C library from doing that, and nothing is safe to run afterwards. So
/// while a libhdf5 call is in progress (``HDF5Library/withLock(_:)``), the handler installed
/// here writes a message prepared in advance (worded by the caller, ``Messages``), removes the output's temporary file, and exits;
/// all three are async-signal-safe. A fault anywhere else is not libhdf5's: the previous
/// handler is put back and the fault recurs, so Tubelet's own bugs still crash visibly.
///
/// libhdf5 can also loop forever on a corrupt file (fuzzing found loops under `H5HG_read`).
/// With a time limit, an alarm is armed while a batch of libhdf5 calls runs, and a batch that
/// does not return in time ends the process the same way, with its own message.
///
/// Only a program (the `tubelet` command) installs it: a library must not take over its host's
/// signal handlers. The fuzz targets do not, so fuzzing still reports libhdf5's crashes.
public enum CrashGuard {
    /// Everything the handler reads, allocated once and only ever updated by storing whole
    /// values, so the handler never sees a half-written one.
    struct State {
        var insideLibrary: Int32 = 0
        var message: UnsafeMutablePointer<CChar>?
        var messageLength = 0
        var hangMessage: UnsafeMutablePointer<CChar>?
        var hangMessageLength = 0
        /// Seconds one batch of libhdf5 calls may take; 0 for no limit.
        var timeLimit: UInt32 = 0
        var temporary: UnsafeMutablePointer<CChar>?
        /// The handlers installed before this one, by signal number.
        var previous: UnsafeMutablePointer<sigaction>
    }

    nonisolated(unsafe) private static var state: UnsafeMutablePointer<State>?
    /// Every buffer handed to the handler stays allocated (and reachable, for leak checkers):
    /// a signal could arrive while the handler reads one that was just replaced.
    nonisolated(unsafe) private static var retained: [UnsafeMutableRawPointer] = []
    nonisolated(unsafe) private static var lastPath: String?
    nonisolated(unsafe) private static var messages: Messages?

    /// What the handler writes on a crash or a hang inside libhdf5, made by the program that
    /// installs the guard (a library has no say in how its host reports errors). Each gets the
    /// file being read and libhdf5's version; the hang message also the time limit in seconds.
    public struct Messages: Sendable {
        public var crash: @Sendable (_ path: String, _ libraryVersion: String) -> String
        public var hang: @Sendable (_ path: String, _ libraryVersion: String, _ seconds: UInt32) -> String

        public init(crash: @escaping @Sendable (_ path: String, _ libraryVersion: String) -> String,
                    hang: @escaping @Sendable (_ path: String, _ libraryVersion: String, _ seconds: UInt32) -> String) {
            self.crash = crash
            self.hang = hang
        }
    }

    /// Installs the handler for SIGSEGV, SIGBUS, SIGFPE and SIGABRT, on an alternate stack (a
    /// stack overflow inside libhdf5 must still reach it), and for SIGALRM when
    /// `libraryTimeLimit` (seconds) is not 0. Call once, at program start.
    public static func install(libraryTimeLimit: UInt32, messages: Messages) {
        #if os(Linux)
        guard state == nil else { return }
        self.messages = messages
        let previous = UnsafeMutablePointer<sigaction>.allocate(capacity: Int(NSIG))
        previous.initialize(repeating: sigaction(), count: Int(NSIG))
        let shared = UnsafeMutablePointer<State>.allocate(capacity: 1)
        shared.initialize(to: State(timeLimit: libraryTimeLimit, previous: previous))
        state = shared

        let size = 1 << 16
        var stack = stack_t()
        stack.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        retained.append(stack.ss_sp)
        stack.ss_size = size
        sigaltstack(&stack, nil)

        for signal in [SIGSEGV, SIGBUS, SIGFPE, SIGABRT] + (libraryTimeLimit > 0 ? [SIGALRM] : []) {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            action.sa_flags = SA_ONSTACK
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, previous + Int(signal))
        }
        #endif
    }

    /// Asked of libhdf5 when the first message is prepared (under its recursive lock), not at
    /// install: the call initialises libhdf5, which a run that reads no HDF5 file never needs.
    private static let libraryVersion = HDF5Library.version

    /// Marks the start and end of a batch of libhdf5 calls (nested batches count).
    static func enterLibrary() {
        guard let state else { return }
        if state.pointee.insideLibrary == 0, state.pointee.timeLimit > 0 { alarm(state.pointee.timeLimit) }
        state.pointee.insideLibrary += 1
    }

    static func leaveLibrary() {
        guard let state else { return }
        state.pointee.insideLibrary -= 1
        if state.pointee.insideLibrary == 0, state.pointee.timeLimit > 0 { alarm(0) }
    }

    /// Prepares the message naming `path`, the file libhdf5 is about to read. Call inside
    /// ``HDF5Library/withLock(_:)``, which serialises the callers.
    static func reading(_ path: String) {
        guard let state, path != lastPath else { return }
        lastPath = path
        guard let messages else { return }
        let text = messages.crash(path, libraryVersion)
        let hang = messages.hang(path, libraryVersion, state.pointee.timeLimit)
        guard let copy = strdup(text), let hangCopy = strdup(hang) else { return }
        retained.append(UnsafeMutableRawPointer(copy))
        retained.append(UnsafeMutableRawPointer(hangCopy))
        state.pointee.messageLength = 0
        state.pointee.message = copy
        state.pointee.messageLength = text.utf8.count
        state.pointee.hangMessageLength = 0
        state.pointee.hangMessage = hangCopy
        state.pointee.hangMessageLength = hang.utf8.count
    }

    /// The temporary output being written, removed if libhdf5 crashes (nil when there is none).
    static func writing(_ temporary: String?) {
        guard let state else { return }
        guard let temporary, let copy = strdup(temporary) else {
            state.pointee.temporary = nil
            return
        }
        retained.append(UnsafeMutableRawPointer(copy))
        state.pointee.temporary = copy
    }

    /// Async-signal-safe calls only: write, unlink, _exit, sigaction, raise.
    private static let handler: @convention(c) (Int32) -> Void = { signal in
        guard let state = CrashGuard.state else { return }
        if signal == SIGALRM && state.pointee.insideLibrary == 0 { return }  // a late alarm
        if state.pointee.insideLibrary > 0 {
            if signal == SIGALRM, let message = state.pointee.hangMessage {
                _ = write(STDERR_FILENO, message, state.pointee.hangMessageLength)
            } else if signal != SIGALRM, let message = state.pointee.message {
                _ = write(STDERR_FILENO, message, state.pointee.messageLength)
            }
            if let temporary = state.pointee.temporary {
                unlink(temporary)
            }
            _exit(1)
        }
        // Not libhdf5's fault: the previous handler (Swift's backtracer, or the default) takes
        // the fault when the instruction runs again, or the signal when it is raised again.
        sigaction(signal, state.pointee.previous + Int(signal), nil)
        if signal == SIGABRT || signal == SIGFPE { raise(signal) }
    }
}

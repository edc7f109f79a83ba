internal import CSandbox
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Restricts the process with seccomp before it reads any input, so that a file crafted to
/// exploit a parser (libhdf5 and libzip parse inside this process) cannot make it run a
/// program, open a network connection, map new executable code, or reach other processes.
///
/// The filter (Sources/CSandbox/sandbox.c, which lists exactly what it denies and why) is a
/// deny list: every file system call stays allowed, since the writers create, rename and
/// remove temporaries and libhdf5 opens files when it likes, so it does not limit which files
/// are read or written. It is installed at the start of each command that reads a file,
/// which is stricter than after the inputs are open, and needs nothing before it that it
/// denies.
///
/// On by default on Linux (x86-64 and arm64); elsewhere there is no seccomp and nothing is
/// done. `--no-sandbox` or `TUBELET_NO_SANDBOX=1` turns it off, for a trusted file on a
/// system whose seccomp misbehaves, or to get a crash backtrace (Swift's backtracer is a
/// program the filter does not let the process start).
enum Sandbox {
    struct Failure: Error, CustomStringConvertible {
        let code: Int32
        var description: String {
            let cause = code == ENOSYS
                ? "this system or architecture has no seccomp filters"
                : String(cString: strerror(code))
            return "cannot restrict this process with seccomp (\(cause)), which keeps a malicious file from making it run programs or open network connections. Pass --no-sandbox or set TUBELET_NO_SANDBOX=1 to run without it"
        }
    }

    /// Installs the filter unless `disabled` or `TUBELET_NO_SANDBOX=1`.
    static func enter(disabled: Bool) throws {
        #if os(Linux)
        let environment = ProcessInfo.processInfo.environment
        if !disabled && environment["TUBELET_NO_SANDBOX"] != "1" {
            let code = tubelet_sandbox_install()
            guard code == 0 else { throw Failure(code: code) }
        }
        #if DEBUG
        runProbes(environment["TUBELET_DEBUG_AFTER_SANDBOX"])
        #endif
        #endif
    }

    #if DEBUG
    /// Debug builds only, for the tests: `TUBELET_DEBUG_AFTER_SANDBOX=exec,socket,…` tries
    /// each of those things once the filter is on (or, with --no-sandbox, instead of it) and
    /// reports on stderr what the kernel answered; `exec` replaces the process with
    /// /bin/true when it is allowed. Release builds do not have this code at all.
    private static func runProbes(_ list: String?) {
        guard let list else { return }
        for probe in list.split(separator: ",").map(String.init) {
            let code = tubelet_sandbox_probe(probe)
            printError("sandbox probe \(probe): \(code == 0 ? "allowed" : String(cString: strerror(code)))")
        }
    }
    #endif
}

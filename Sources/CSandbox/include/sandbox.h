#ifndef TUBELET_SANDBOX_H
#define TUBELET_SANDBOX_H

/// The seccomp filter that keeps a process that parses untrusted files from running programs,
/// opening network connections or tampering with other processes. See sandbox.c for exactly
/// what it denies and allows, and why.

/// Sets no_new_privs and installs the filter on every thread of the process. Returns 0, or an
/// errno: ENOSYS where the system or architecture has no seccomp filter support.
int tubelet_sandbox_install(void);

/// For tests (the command honours it only in debug builds): tries one thing the filter
/// denies and returns the errno it got, 0 if it was allowed. `what` is "exec" (execve of
/// /bin/true, which replaces the process if allowed), "socket" (an AF_INET socket),
/// "unix-socket", "fork", "ptrace" (PTRACE_PEEKUSER of the parent: ESRCH when allowed, since
/// it is not traced), "exec-memory" (an anonymous PROT_EXEC mapping). EINVAL for another.
int tubelet_sandbox_probe(const char *what);

#endif

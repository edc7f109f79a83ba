// The seccomp filter `tubelet` puts on itself before it reads any input.
//
// The threat. Tubelet parses untrusted files, and not only in Swift: libhdf5 and libzip parse
// bytes from the file inside this process, and a memory-corruption bug in either (libhdf5 has
// had many) could let a crafted file run code with the user's rights. The filter bounds what
// such code can do through the kernel: it cannot start a program, cannot reach the network,
// cannot map new executable code (so cannot load a library or run injected machine code
// other than by reusing the code already mapped), cannot attach to or read other processes,
// and cannot use the kernel interfaces that exploits favour or that only an administrator
// needs. file(1) protects its parsers the same way.
//
// What it does not cover, honestly. The filter is a deny list over system call numbers, and
// seccomp cannot look inside the path a call is given (a pointer), so it does not limit which
// files are opened: Tubelet must create, write, rename and remove its outputs and
// temporaries, libhdf5 opens files when it likes, and shards and config.json are found as it
// reads. Code that takes over the process can still read and write any file the user can,
// send signals to the user's other processes (kill is allowed: the process signals itself),
// and use sockets it inherited. Landlock would be the tool for file paths; it is not used.
// The filter applies to this process and anything it could start (nothing: exec is denied).
//
// How. no_new_privs first (required for an unprivileged filter, and it keeps a set-uid
// program from ever gaining rights here), then one classic-BPF program installed with
// SECCOMP_FILTER_FLAG_TSYNC, so every thread already running (the libhdf5 watchdog, dispatch
// workers) is covered, not only the caller; threads started later inherit it. The program
// checks the architecture first: a system call made through another ABI (32-bit int 0x80 on
// x86-64, or the x32 ABI) has other numbers, so it kills the process rather than judge it by
// the wrong table. Denied calls fail with EPERM (ENOSYS for clone3, so that glibc falls back
// to clone, whose flags the filter can read) instead of killing, so a denied call in an
// unexpected place is an error message, not a mystery crash.
//
// Sanitizer builds: LeakSanitizer stops the threads at exit from a task it clones without
// CLONE_THREAD and attaches with ptrace; an AddressSanitizer build (never a release) allows
// both, so sanitizer runs can keep the filter on. The sanitizers symbolize their reports
// (and match leak suppressions by function name) through an llvm-symbolizer process that
// they start when first needed; execve stays denied, so such a build starts it before the
// filter goes on, and the running process is used from then on.

#define _GNU_SOURCE
#include "sandbox.h"

#include <errno.h>
#include <string.h>

#if defined(__linux__) && (defined(__x86_64__) || defined(__aarch64__))

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define TUBELET_LEAK_CHECKER 1
#else
#define TUBELET_LEAK_CHECKER 0
#endif
#if TUBELET_LEAK_CHECKER || __has_feature(thread_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define TUBELET_SANITIZED 1
#include <sanitizer/common_interface_defs.h>
#else
#define TUBELET_SANITIZED 0
#endif

#if defined(__x86_64__)
#define TUBELET_AUDIT_ARCH AUDIT_ARCH_X86_64
#else
#define TUBELET_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define DENY_WITH(code) (SECCOMP_RET_ERRNO | ((code) & SECCOMP_RET_DATA))

/// Starting programs, and creating processes (a thread, CLONE_THREAD, is allowed).
static const int denied_process_calls[] = {
    __NR_execve, __NR_execveat,
#ifdef __NR_fork
    __NR_fork,
#endif
#ifdef __NR_vfork
    __NR_vfork,
#endif
};

/// The network: no socket of any family is created, and none inherited is connected,
/// bound or listened on.
static const int denied_network_calls[] = {
    __NR_socket, __NR_socketpair, __NR_connect, __NR_bind, __NR_listen, __NR_accept, __NR_accept4,
};

/// Other processes' memory and state.
static const int denied_tracing_calls[] = {
    __NR_process_vm_readv, __NR_process_vm_writev,
#ifdef __NR_pidfd_getfd
    __NR_pidfd_getfd,
#endif
#ifdef __NR_kcmp
    __NR_kcmp,
#endif
};

/// Interfaces exploits favour (io_uring performs socket, open and other operations without
/// the system calls the filter sees) and administration that only root could do, which
/// matters because tubelet is often run as root in containers.
static const int denied_kernel_calls[] = {
#ifdef __NR_io_uring_setup
    __NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
#endif
    __NR_bpf, __NR_perf_event_open, __NR_userfaultfd, __NR_keyctl, __NR_add_key, __NR_request_key,
    __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_unshare, __NR_setns,
#ifdef __NR_open_tree
    __NR_open_tree, __NR_move_mount, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
#endif
#ifdef __NR_mount_setattr
    __NR_mount_setattr,
#endif
    __NR_init_module, __NR_finit_module, __NR_delete_module, __NR_kexec_load,
#ifdef __NR_kexec_file_load
    __NR_kexec_file_load,
#endif
    __NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct, __NR_name_to_handle_at, __NR_open_by_handle_at,
    __NR_settimeofday, __NR_clock_settime, __NR_adjtimex, __NR_sethostname, __NR_setdomainname,
#ifdef __NR_iopl
    __NR_iopl,
#endif
#ifdef __NR_ioperm
    __NR_ioperm,
#endif
};

/// Calls whose third argument is a protection: denied when it asks for PROT_EXEC.
static const int executable_memory_calls[] = { __NR_mmap, __NR_mprotect, __NR_pkey_mprotect };

enum { capacity = 256 };

struct program {
    struct sock_filter instructions[capacity];
    unsigned short count;
};

static int emit(struct program *program, struct sock_filter instruction) {
    if (program->count >= capacity) return -1;
    program->instructions[program->count++] = instruction;
    return 0;
}

/// `if nr == number: return result`, with the system call number in the accumulator.
static int emit_return_if(struct program *program, int number, unsigned int result) {
    if (emit(program, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)number, 0, 1))) return -1;
    return emit(program, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, result));
}

/// `if nr == number: return (argument & flag) ? when_set : when_clear`. Each branch returns,
/// so overwriting the accumulator with the argument does not disturb the checks after it.
/// The low 32 bits of the argument are enough for the flags tested (little-endian layout).
static int emit_flag_test(struct program *program, int number, int argument, unsigned int flag,
                          unsigned int when_set, unsigned int when_clear) {
    int failed = 0;
    failed |= emit(program, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)number, 0, 4));
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                          (unsigned int)offsetof(struct seccomp_data, args[argument])));
    failed |= emit(program, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, flag, 0, 1));
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, when_set));
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, when_clear));
    return failed ? -1 : 0;
}

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static int build(struct program *program) {
    int failed = 0;
    program->count = 0;
    // The architecture, then the number.
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned int)offsetof(struct seccomp_data, arch)));
    failed |= emit(program, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TUBELET_AUDIT_ARCH, 1, 0));
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned int)offsetof(struct seccomp_data, nr)));
#if defined(__x86_64__)
    // x32 system calls share the architecture value and set this bit in the number.
    failed |= emit(program, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1));
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#endif
    for (size_t i = 0; i < COUNT(denied_process_calls); i++) failed |= emit_return_if(program, denied_process_calls[i], DENY_WITH(EPERM));
    for (size_t i = 0; i < COUNT(denied_network_calls); i++) failed |= emit_return_if(program, denied_network_calls[i], DENY_WITH(EPERM));
    for (size_t i = 0; i < COUNT(denied_kernel_calls); i++) failed |= emit_return_if(program, denied_kernel_calls[i], DENY_WITH(EPERM));
    if (!TUBELET_LEAK_CHECKER) {
        for (size_t i = 0; i < COUNT(denied_tracing_calls); i++) failed |= emit_return_if(program, denied_tracing_calls[i], DENY_WITH(EPERM));
        failed |= emit_return_if(program, __NR_ptrace, DENY_WITH(EPERM));
        // clone3 passes its flags in memory the filter cannot read: ENOSYS makes glibc use clone.
#ifdef __NR_clone3
        failed |= emit_return_if(program, __NR_clone3, DENY_WITH(ENOSYS));
#endif
        failed |= emit_flag_test(program, __NR_clone, 0, CLONE_THREAD, SECCOMP_RET_ALLOW, DENY_WITH(EPERM));
    }
    for (size_t i = 0; i < COUNT(executable_memory_calls); i++) {
        failed |= emit_flag_test(program, executable_memory_calls[i], 2, PROT_EXEC, DENY_WITH(EPERM), SECCOMP_RET_ALLOW);
    }
    failed |= emit(program, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    return failed ? -1 : 0;
}

int tubelet_sandbox_install(void) {
    static struct program program;
    if (build(&program) != 0) return E2BIG;
#if TUBELET_SANITIZED
    // Symbolizing any address starts the sanitizer's symbolizer process now, while it may.
    char symbol[256];
    __sanitizer_symbolize_pc(__builtin_return_address(0), "%p %F %L", symbol, sizeof symbol);
#endif
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    struct sock_fprog filter = { .len = program.count, .filter = program.instructions };
    long result = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &filter);
    if (result < 0) return errno;
    // A positive result is a thread that could not be synchronised (it has a filter of its
    // own that this one does not extend); the process is then only partly covered.
    if (result > 0) return EAGAIN;
    return 0;
}

int tubelet_sandbox_probe(const char *what) {
    if (strcmp(what, "exec") == 0) {
        char *const arguments[] = { "/bin/true", NULL };
        char *const environment[] = { NULL };
        execve("/bin/true", arguments, environment);
        return errno;
    }
    if (strcmp(what, "socket") == 0 || strcmp(what, "unix-socket") == 0) {
        int fd = socket(what[0] == 's' ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return errno;
        close(fd);
        return 0;
    }
    if (strcmp(what, "fork") == 0) {
        pid_t child = fork();
        if (child < 0) return errno;
        if (child == 0) _exit(0);
        waitpid(child, NULL, 0);
        return 0;
    }
    if (strcmp(what, "ptrace") == 0) {
        errno = 0;
        if (ptrace(PTRACE_PEEKUSER, getppid(), NULL, NULL) == -1 && errno != 0) return errno;
        return 0;
    }
    if (strcmp(what, "exec-memory") == 0) {
        void *memory = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (memory == MAP_FAILED) return errno;
        munmap(memory, 4096);
        return 0;
    }
    return EINVAL;
}

#else

int tubelet_sandbox_install(void) { return ENOSYS; }

int tubelet_sandbox_probe(const char *what) {
    (void)what;
    return ENOSYS;
}

#endif

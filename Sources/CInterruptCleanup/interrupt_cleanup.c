// Removal of a run's temporary outputs when SIGINT, SIGTERM or SIGHUP ends it.
//
// Why a signal handler, and why in C. The handler interrupts the thread that creates the
// temporaries, so nothing can create one while it removes them: the alternative, a thread
// that waits for the signals with sigwait, would run concurrently with the writer, which
// could create its file (or libzip its own `NAME.XXXXXX` file, or libhdf5 its file) just
// after the cleanup looked, and leave it behind. A handler may interrupt anything, malloc
// and libhdf5 included, so it only uses async-signal-safe system calls on memory prepared
// beforehand: a fixed table of paths (no allocation, no lock), and openat, getdents64,
// unlinkat, write, tgkill and _exit. Those are plain system calls, which is simplest to see
// and keep true in C, not in Swift, whose runtime may allocate or retain behind any call.
//
// Which thread. Every file of an output is created on the main thread (tensors are
// computed on other threads, but written from the main one), so the cleanup runs there: a
// signal delivered to another thread (libdispatch's workers cannot be made to block it) is
// forwarded to the main thread with tgkill and that thread carries on. The handler blocks
// all three signals while it runs, so a second Ctrl-C waits for the first cleanup to end.
//
// What is removed. Each tracked path (a file, or a directory with its files, two levels
// deep, as a Hugging Face directory or a sharded checkpoint is) and every `path.*` beside it:
// libzip writes an archive to `PATH.XXXXXX` and renames it to PATH when closed.

#define _GNU_SOURCE
#include "interrupt_cleanup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { slot_free = 0, slot_filling = 1, slot_ready = 2 };

static _Atomic int slot_state[TUBELET_INTERRUPT_SLOTS];
static char slot_path[TUBELET_INTERRUPT_SLOTS][PATH_MAX];

static pid_t main_thread;
static const char *messages[3];
static size_t message_lengths[3];

/// What getdents64 returns, one after another.
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int is_dot_or_dot_dot(const char *name) {
    return name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0));
}

/// Removes `name` in `directory`: a file, or a directory and what it holds, up to `depth`
/// levels further down.
static void remove_entry(int directory, const char *name, int depth) {
    if (unlinkat(directory, name, 0) == 0 || errno == ENOENT) return;
    if (errno != EISDIR && errno != EPERM) return;
    int fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    if (depth > 0) {
        char buffer[2048] __attribute__((aligned(8)));
        // Removing entries while reading a directory may make getdents skip some; read it
        // again until a pass finds nothing to remove (bounded, in case one cannot be).
        for (int pass = 0; pass < 8; pass++) {
            int removed = 0;
            lseek(fd, 0, SEEK_SET);
            for (;;) {
                long count = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
                if (count <= 0) break;
                for (long offset = 0; offset < count;) {
                    struct linux_dirent64 *entry = (struct linux_dirent64 *)(buffer + offset);
                    offset += entry->d_reclen;
                    if (is_dot_or_dot_dot(entry->d_name)) continue;
                    remove_entry(fd, entry->d_name, depth - 1);
                    removed = 1;
                }
            }
            if (!removed) break;
        }
    }
    close(fd);
    unlinkat(directory, name, AT_REMOVEDIR);
}

/// Removes `path` and every `path.*` in its directory.
static void remove_temporary(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t base_length = strlen(base);
    int directory = AT_FDCWD;
    if (slash) {
        char parent[PATH_MAX];
        size_t length = (size_t)(slash - path);
        if (length == 0) length = 1;  // "/name"
        memcpy(parent, path, length);
        parent[length] = 0;
        directory = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (directory < 0) return;
    } else {
        directory = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (directory < 0) return;
    }
    remove_entry(directory, base, 2);
    char buffer[2048] __attribute__((aligned(8)));
    for (int pass = 0; pass < 8; pass++) {
        int removed = 0;
        lseek(directory, 0, SEEK_SET);
        for (;;) {
            long count = syscall(SYS_getdents64, directory, buffer, sizeof buffer);
            if (count <= 0) break;
            for (long offset = 0; offset < count;) {
                struct linux_dirent64 *entry = (struct linux_dirent64 *)(buffer + offset);
                offset += entry->d_reclen;
                if (strncmp(entry->d_name, base, base_length) == 0 && entry->d_name[base_length] == '.') {
                    remove_entry(directory, entry->d_name, 2);
                    removed = 1;
                }
            }
        }
        if (!removed) break;
    }
    close(directory);
}

static void write_all(const char *text, size_t length) {
    while (length > 0) {
        ssize_t written = write(STDERR_FILENO, text, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        text += written;
        length -= (size_t)written;
    }
}

static void handler(int signal_number) {
    int saved = errno;
    if ((pid_t)syscall(SYS_gettid) != main_thread) {
        syscall(SYS_tgkill, getpid(), main_thread, signal_number);
        errno = saved;
        return;
    }
    for (int slot = 0; slot < TUBELET_INTERRUPT_SLOTS; slot++) {
        if (atomic_load(&slot_state[slot]) == slot_ready) remove_temporary(slot_path[slot]);
    }
    int index = signal_number == SIGINT ? 0 : signal_number == SIGTERM ? 1 : 2;
    if (messages[index]) write_all(messages[index], message_lengths[index]);
    _exit(128 + signal_number);
}

int tubelet_interrupt_install(const char *sigint_message, const char *sigterm_message, const char *sighup_message) {
    const char *given[3] = { sigint_message, sigterm_message, sighup_message };
    for (int i = 0; i < 3; i++) {
        messages[i] = given[i] ? strdup(given[i]) : NULL;
        message_lengths[i] = messages[i] ? strlen(messages[i]) : 0;
    }
    main_thread = (pid_t)syscall(SYS_gettid);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaddset(&action.sa_mask, SIGINT);
    sigaddset(&action.sa_mask, SIGTERM);
    sigaddset(&action.sa_mask, SIGHUP);
    const int signals[3] = { SIGINT, SIGTERM, SIGHUP };
    for (int i = 0; i < 3; i++) {
        // A signal the parent set to be ignored stays ignored: `nohup` ignores SIGHUP, and a
        // non-interactive shell's background job SIGINT, on purpose.
        struct sigaction previous;
        if (sigaction(signals[i], NULL, &previous) == 0 && previous.sa_handler == SIG_IGN) continue;
        if (sigaction(signals[i], &action, NULL) != 0) return errno;
    }
    return 0;
}

int tubelet_interrupt_track(const char *path) {
    size_t length = strlen(path);
    if (length == 0 || length >= PATH_MAX) return -1;
    for (int slot = 0; slot < TUBELET_INTERRUPT_SLOTS; slot++) {
        int expected = slot_free;
        if (atomic_compare_exchange_strong(&slot_state[slot], &expected, slot_filling)) {
            memcpy(slot_path[slot], path, length + 1);
            atomic_store(&slot_state[slot], slot_ready);
            return slot;
        }
    }
    return -1;
}

void tubelet_interrupt_untrack(int slot) {
    if (slot < 0 || slot >= TUBELET_INTERRUPT_SLOTS) return;
    atomic_store(&slot_state[slot], slot_free);
}

#ifndef TUBELET_INTERRUPT_CLEANUP_H
#define TUBELET_INTERRUPT_CLEANUP_H

/// Removal of a run's temporary outputs when SIGINT, SIGTERM or SIGHUP ends it.
/// See interrupt_cleanup.c for how, and why it is written in C.

/// The most temporaries tracked at once. A run has at most three (an output, the previous
/// directory moved aside when one is replaced, and a report).
#define TUBELET_INTERRUPT_SLOTS 16

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. Each message (one line, with its
/// newline) is what the process writes to stderr before it exits with 128 + the signal.
/// Call once, from the main thread, before any other thread starts. Returns 0, or an errno.
int tubelet_interrupt_install(const char *sigint_message, const char *sigterm_message, const char *sighup_message);

/// Records `path`, a temporary file or directory about to be created, so that an interrupt
/// removes it (and any `path.*` that a library derives from it) until it is untracked.
/// Returns the slot to pass to tubelet_interrupt_untrack, or -1 when the table is full or
/// the path too long (it is then not removed on an interrupt).
int tubelet_interrupt_track(const char *path);

/// Forgets the temporary in `slot` (renamed into place, or removed). -1 is ignored.
void tubelet_interrupt_untrack(int slot);

#endif

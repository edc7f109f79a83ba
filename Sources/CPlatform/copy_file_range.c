#define _GNU_SOURCE
#include "cplatform.h"
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

int64_t cplatform_copy_file_range(int in_fd, int64_t in_offset, int out_fd, int64_t out_offset, size_t count) {
#if defined(__linux__)
    off64_t from = (off64_t)in_offset;
    off64_t to = (off64_t)out_offset;
    return (int64_t)copy_file_range(in_fd, &from, out_fd, &to, count, 0);
#else
    (void)in_fd;
    (void)in_offset;
    (void)out_fd;
    (void)out_offset;
    (void)count;
    errno = ENOSYS;
    return -1;
#endif
}

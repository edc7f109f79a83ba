#ifndef CPLATFORM_H
#define CPLATFORM_H
#include <stddef.h>
#include <stdint.h>

/* The few operating-system and CPU helpers Tubelet needs in C, behind plain C types; Swift
   wraps each in TensorIO (Platform/, Zip/CRC32.swift) and no C type leaves that module. */

/* Swaps the paths `a` and `b` in one step (Linux renameat2 with RENAME_EXCHANGE).
   0 on success, -1 with errno set otherwise (ENOSYS, EINVAL where the kernel or file system
   does not offer it). glibc declares renameat2 only under _GNU_SOURCE, which Swift's Glibc
   module does not define, hence this wrapper. */
int cplatform_rename_exchange(const char *a, const char *b);

/* Copies `count` bytes of `in_fd` from `in_offset` to `out_fd` at `out_offset`, inside the
   kernel (Linux copy_file_range: no copy through this process's memory); neither descriptor's
   file position moves. The bytes copied
   (fewer at the end of the input), or -1 with errno set: ENOSYS, EXDEV, EINVAL, EOPNOTSUPP
   where the kernel or the two file systems do not offer it. */
int64_t cplatform_copy_file_range(int in_fd, int64_t in_offset, int out_fd, int64_t out_offset, size_t count);

/* Whether the CPU has what cplatform_crc32's fast path uses (PCLMULQDQ and SSE4.1). */
int cplatform_crc32_has_simd(void);

/* The zip CRC-32 of `len` bytes continuing from `crc` (0 to start), equal to zlib's crc32_z.
   zlib's own (1.2.13, table-driven) runs at 0.5-3 GB/s, slower than the page cache it checks;
   folding with carry-less multiplication runs at ~14 GB/s where the CPU has PCLMULQDQ (`simd`
   from cplatform_crc32_has_simd()), and zlib does the short tail and every other CPU. */
uint32_t cplatform_crc32(uint32_t crc, const unsigned char *buf, size_t len, int simd);

/* The CRC-32 of A followed by B, from their CRCs and B's length (zlib's crc32_combine). */
uint32_t cplatform_crc32_combine(uint32_t crc_a, uint32_t crc_b, int64_t length_b);

#endif

#ifndef CLIBZIP_SHIM_H
#define CLIBZIP_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <zip.h>
#include <zlib.h>

/* `zip_source_make_command_bitmap` is variadic and `ZIP_SOURCE_MAKE_COMMAND_BITMASK` a macro;
   neither imports into Swift. This is the bitmap of a read-only, non-seekable source. */
static inline zip_int64_t clibzip_read_source_commands(void) {
    return ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_OPEN)
         | ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_READ)
         | ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_CLOSE)
         | ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_STAT)
         | ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_ERROR)
         | ZIP_SOURCE_MAKE_COMMAND_BITMASK(ZIP_SOURCE_FREE);
}

#endif

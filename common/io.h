/* io.h - whole writes: write(2) until every byte is out, across partial
 * writes and EINTR. Any thread but the realtime one (it blocks). */
#ifndef WM_IO_H
#define WM_IO_H

#include <stddef.h>

/* 0 when all len bytes were written; -1 with errno set otherwise (EIO
 * when write returned 0, which a regular file or pipe never should). */
int wm_write_all(int fd, const void *data, size_t len);

#endif

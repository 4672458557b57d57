/* wrap_file.c - librtguard's wrappers for file-descriptor I/O, stdio and
 * syslog (see rtguard.h). The variadic ones forward to the v* variant of
 * the next library, never to our own. Any thread. */
#define _GNU_SOURCE
#include "tests/rtguard/rtguard.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

/* open(2) and friends take a mode only with O_CREAT or O_TMPFILE; reading
 * it unconditionally is what every interposer does (it is in a register). */
#define TAKE_MODE(last, mode)                        \
	do {                                         \
		va_list ap_;                         \
		va_start(ap_, last);                 \
		(mode) = (mode_t)va_arg(ap_, unsigned); \
		va_end(ap_);                         \
	} while (0)

RTG_EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode;
	TAKE_MODE(flags, mode);
	RTG_CHECK(open, "\"%s\", 0x%x", path, (unsigned)flags);
	return RTG_REAL(open)(path, flags, mode);
}

RTG_EXPORT int open64(const char *path, int flags, ...)
{
	mode_t mode;
	TAKE_MODE(flags, mode);
	RTG_CHECK(open64, "\"%s\", 0x%x", path, (unsigned)flags);
	return RTG_REAL(open64)(path, flags, mode);
}

RTG_EXPORT int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode;
	TAKE_MODE(flags, mode);
	RTG_CHECK(openat, "%d, \"%s\", 0x%x", dir, path, (unsigned)flags);
	return RTG_REAL(openat)(dir, path, flags, mode);
}

RTG_EXPORT int openat64(int dir, const char *path, int flags, ...)
{
	mode_t mode;
	TAKE_MODE(flags, mode);
	RTG_CHECK(openat64, "%d, \"%s\", 0x%x", dir, path, (unsigned)flags);
	return RTG_REAL(openat64)(dir, path, flags, mode);
}

RTG_EXPORT int creat(const char *path, mode_t mode)
{
	RTG_CHECK(creat, "\"%s\", 0%o", path, (unsigned)mode);
	return RTG_REAL(creat)(path, mode);
}

RTG_EXPORT int close(int fd)
{
	RTG_CHECK(close, "%d", fd);
	return RTG_REAL(close)(fd);
}

RTG_EXPORT ssize_t read(int fd, void *buf, size_t len)
{
	RTG_CHECK(read, "%d, %p, %zu", fd, buf, len);
	return RTG_REAL(read)(fd, buf, len);
}

RTG_EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
	RTG_CHECK(write, "%d, %p, %zu", fd, buf, len);
	return RTG_REAL(write)(fd, buf, len);
}

RTG_EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t at)
{
	RTG_CHECK(pread, "%d, %p, %zu, %lld", fd, buf, len, (long long)at);
	return RTG_REAL(pread)(fd, buf, len, at);
}

RTG_EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t at)
{
	RTG_CHECK(pread64, "%d, %p, %zu, %lld", fd, buf, len, (long long)at);
	return RTG_REAL(pread64)(fd, buf, len, at);
}

RTG_EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t at)
{
	RTG_CHECK(pwrite, "%d, %p, %zu, %lld", fd, buf, len, (long long)at);
	return RTG_REAL(pwrite)(fd, buf, len, at);
}

RTG_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t at)
{
	RTG_CHECK(pwrite64, "%d, %p, %zu, %lld", fd, buf, len, (long long)at);
	return RTG_REAL(pwrite64)(fd, buf, len, at);
}

RTG_EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
	RTG_CHECK(readv, "%d, %p, %d", fd, (const void *)iov, n);
	return RTG_REAL(readv)(fd, iov, n);
}

RTG_EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
	RTG_CHECK(writev, "%d, %p, %d", fd, (const void *)iov, n);
	return RTG_REAL(writev)(fd, iov, n);
}

RTG_EXPORT off_t lseek(int fd, off_t at, int whence)
{
	RTG_CHECK(lseek, "%d, %lld, %d", fd, (long long)at, whence);
	return RTG_REAL(lseek)(fd, at, whence);
}

RTG_EXPORT int fsync(int fd)
{
	RTG_CHECK(fsync, "%d", fd);
	return RTG_REAL(fsync)(fd);
}

RTG_EXPORT int fdatasync(int fd)
{
	RTG_CHECK(fdatasync, "%d", fd);
	return RTG_REAL(fdatasync)(fd);
}

/* The optional third argument is an int or a pointer: forward it as a
 * pointer-sized word, which carries either in the x86-64 and arm64 ABIs. */
RTG_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	RTG_CHECK(ioctl, "%d, 0x%lx", fd, request);
	return RTG_REAL(ioctl)(fd, request, arg);
}

RTG_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	RTG_CHECK(fcntl, "%d, %d", fd, cmd);
	return RTG_REAL(fcntl)(fd, cmd, arg);
}

RTG_EXPORT int eventfd_read(int fd, eventfd_t *value)
{
	RTG_CHECK(eventfd_read, "%d, %p", fd, (void *)value);
	return RTG_REAL(eventfd_read)(fd, value);
}

RTG_EXPORT int eventfd_write(int fd, eventfd_t value)
{
	RTG_CHECK(eventfd_write, "%d, %llu", fd, (unsigned long long)value);
	return RTG_REAL(eventfd_write)(fd, value);
}

RTG_EXPORT FILE *fopen(const char *path, const char *mode)
{
	RTG_CHECK(fopen, "\"%s\", \"%s\"", path, mode);
	return RTG_REAL(fopen)(path, mode);
}

RTG_EXPORT int fclose(FILE *f)
{
	RTG_CHECK(fclose, "%p", (void *)f);
	return RTG_REAL(fclose)(f);
}

RTG_EXPORT size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
	RTG_CHECK(fread, "%p, %zu, %zu, %p", buf, size, n, (void *)f);
	return RTG_REAL(fread)(buf, size, n, f);
}

RTG_EXPORT size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
	RTG_CHECK(fwrite, "%p, %zu, %zu, %p", buf, size, n, (void *)f);
	return RTG_REAL(fwrite)(buf, size, n, f);
}

RTG_EXPORT char *fgets(char *buf, int len, FILE *f)
{
	RTG_CHECK(fgets, "%p, %d, %p", (void *)buf, len, (void *)f);
	return RTG_REAL(fgets)(buf, len, f);
}

RTG_EXPORT int fputs(const char *s, FILE *f)
{
	RTG_CHECK(fputs, "\"%.40s\", %p", s, (void *)f);
	return RTG_REAL(fputs)(s, f);
}

RTG_EXPORT int fputc(int c, FILE *f)
{
	RTG_CHECK(fputc, "%d, %p", c, (void *)f);
	return RTG_REAL(fputc)(c, f);
}

RTG_EXPORT int putchar(int c)
{
	RTG_CHECK(putchar, "%d", c);
	return RTG_REAL(putchar)(c);
}

RTG_EXPORT int puts(const char *s)
{
	RTG_CHECK(puts, "\"%.40s\"", s);
	return RTG_REAL(puts)(s);
}

RTG_EXPORT int fflush(FILE *f)
{
	RTG_CHECK(fflush, "%p", (void *)f);
	return RTG_REAL(fflush)(f);
}

RTG_EXPORT int vprintf(const char *fmt, va_list ap)
{
	RTG_CHECK(vprintf, "\"%.40s\", ...", fmt);
	return RTG_REAL(vprintf)(fmt, ap);
}

RTG_EXPORT int vfprintf(FILE *f, const char *fmt, va_list ap)
{
	RTG_CHECK(vfprintf, "%p, \"%.40s\", ...", (void *)f, fmt);
	return RTG_REAL(vfprintf)(f, fmt, ap);
}

RTG_EXPORT int vdprintf(int fd, const char *fmt, va_list ap)
{
	RTG_CHECK(vdprintf, "%d, \"%.40s\", ...", fd, fmt);
	return RTG_REAL(vdprintf)(fd, fmt, ap);
}

RTG_EXPORT int printf(const char *fmt, ...)
{
	va_list ap;
	RTG_CHECK(printf, "\"%.40s\", ...", fmt);
	va_start(ap, fmt);
	int r = RTG_REAL(vprintf)(fmt, ap);
	va_end(ap);
	return r;
}

RTG_EXPORT int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	RTG_CHECK(fprintf, "%p, \"%.40s\", ...", (void *)f, fmt);
	va_start(ap, fmt);
	int r = RTG_REAL(vfprintf)(f, fmt, ap);
	va_end(ap);
	return r;
}

RTG_EXPORT int dprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	RTG_CHECK(dprintf, "%d, \"%.40s\", ...", fd, fmt);
	va_start(ap, fmt);
	int r = RTG_REAL(vdprintf)(fd, fmt, ap);
	va_end(ap);
	return r;
}

RTG_EXPORT void vsyslog(int priority, const char *fmt, va_list ap)
{
	RTG_CHECK(vsyslog, "%d, \"%.40s\", ...", priority, fmt);
	RTG_REAL(vsyslog)(priority, fmt, ap);
}

RTG_EXPORT void syslog(int priority, const char *fmt, ...)
{
	va_list ap;
	RTG_CHECK(syslog, "%d, \"%.40s\", ...", priority, fmt);
	va_start(ap, fmt);
	RTG_REAL(vsyslog)(priority, fmt, ap);
	va_end(ap);
}

/* wrap_net.c - librtguard's wrappers for sockets, waits on descriptors,
 * memory mappings and the generic syscall(2) entry (see rtguard.h). Any
 * thread. */
#define _GNU_SOURCE
#include "tests/rtguard/rtguard.h"

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

RTG_EXPORT int socket(int domain, int type, int protocol)
{
	RTG_CHECK(socket, "%d, %d, %d", domain, type, protocol);
	return RTG_REAL(socket)(domain, type, protocol);
}

RTG_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	RTG_CHECK(connect, "%d, %p, %u", fd, (const void *)addr, (unsigned)len);
	return RTG_REAL(connect)(fd, addr, len);
}

RTG_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	RTG_CHECK(accept, "%d, %p, %p", fd, (void *)addr, (void *)len);
	return RTG_REAL(accept)(fd, addr, len);
}

RTG_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	RTG_CHECK(accept4, "%d, %p, %p, 0x%x", fd, (void *)addr, (void *)len, (unsigned)flags);
	return RTG_REAL(accept4)(fd, addr, len, flags);
}

RTG_EXPORT ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	RTG_CHECK(send, "%d, %p, %zu, 0x%x", fd, buf, len, (unsigned)flags);
	return RTG_REAL(send)(fd, buf, len, flags);
}

RTG_EXPORT ssize_t sendto(int fd, const void *buf, size_t len, int flags,
			  const struct sockaddr *addr, socklen_t alen)
{
	RTG_CHECK(sendto, "%d, %p, %zu, 0x%x, %p, %u", fd, buf, len, (unsigned)flags,
		  (const void *)addr, (unsigned)alen);
	return RTG_REAL(sendto)(fd, buf, len, flags, addr, alen);
}

RTG_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	RTG_CHECK(sendmsg, "%d, %p, 0x%x", fd, (const void *)msg, (unsigned)flags);
	return RTG_REAL(sendmsg)(fd, msg, flags);
}

RTG_EXPORT ssize_t recv(int fd, void *buf, size_t len, int flags)
{
	RTG_CHECK(recv, "%d, %p, %zu, 0x%x", fd, buf, len, (unsigned)flags);
	return RTG_REAL(recv)(fd, buf, len, flags);
}

RTG_EXPORT ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *addr,
			    socklen_t *alen)
{
	RTG_CHECK(recvfrom, "%d, %p, %zu, 0x%x, %p, %p", fd, buf, len, (unsigned)flags,
		  (void *)addr, (void *)alen);
	return RTG_REAL(recvfrom)(fd, buf, len, flags, addr, alen);
}

RTG_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	RTG_CHECK(recvmsg, "%d, %p, 0x%x", fd, (void *)msg, (unsigned)flags);
	return RTG_REAL(recvmsg)(fd, msg, flags);
}

RTG_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
	RTG_CHECK(poll, "%p, %lu, %d", (void *)fds, (unsigned long)n, timeout_ms);
	return RTG_REAL(poll)(fds, n, timeout_ms);
}

RTG_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t,
		     const sigset_t *mask)
{
	RTG_CHECK(ppoll, "%p, %lu, %p, %p", (void *)fds, (unsigned long)n, (const void *)t,
		  (const void *)mask);
	return RTG_REAL(ppoll)(fds, n, t, mask);
}

RTG_EXPORT int select(int n, fd_set *r, fd_set *w, fd_set *e, struct timeval *t)
{
	RTG_CHECK(select, "%d, %p, %p, %p, %p", n, (void *)r, (void *)w, (void *)e, (void *)t);
	return RTG_REAL(select)(n, r, w, e, t);
}

RTG_EXPORT int pselect(int n, fd_set *r, fd_set *w, fd_set *e, const struct timespec *t,
		       const sigset_t *mask)
{
	RTG_CHECK(pselect, "%d, %p, %p, %p, %p, %p", n, (void *)r, (void *)w, (void *)e,
		  (const void *)t, (const void *)mask);
	return RTG_REAL(pselect)(n, r, w, e, t, mask);
}

RTG_EXPORT int epoll_wait(int fd, struct epoll_event *ev, int n, int timeout_ms)
{
	RTG_CHECK(epoll_wait, "%d, %p, %d, %d", fd, (void *)ev, n, timeout_ms);
	return RTG_REAL(epoll_wait)(fd, ev, n, timeout_ms);
}

RTG_EXPORT int epoll_pwait(int fd, struct epoll_event *ev, int n, int timeout_ms,
			   const sigset_t *mask)
{
	RTG_CHECK(epoll_pwait, "%d, %p, %d, %d, %p", fd, (void *)ev, n, timeout_ms,
		  (const void *)mask);
	return RTG_REAL(epoll_pwait)(fd, ev, n, timeout_ms, mask);
}

RTG_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t at)
{
	RTG_CHECK(mmap, "%p, %zu, %d, 0x%x, %d, %lld", addr, len, prot, (unsigned)flags, fd,
		  (long long)at);
	return RTG_REAL(mmap)(addr, len, prot, flags, fd, at);
}

RTG_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t at)
{
	RTG_CHECK(mmap64, "%p, %zu, %d, 0x%x, %d, %lld", addr, len, prot, (unsigned)flags, fd,
		  (long long)at);
	return RTG_REAL(mmap64)(addr, len, prot, flags, fd, at);
}

RTG_EXPORT int munmap(void *addr, size_t len)
{
	RTG_CHECK(munmap, "%p, %zu", addr, len);
	return RTG_REAL(munmap)(addr, len);
}

RTG_EXPORT int mprotect(void *addr, size_t len, int prot)
{
	RTG_CHECK(mprotect, "%p, %zu, %d", addr, len, prot);
	return RTG_REAL(mprotect)(addr, len, prot);
}

RTG_EXPORT int mlock(const void *addr, size_t len)
{
	RTG_CHECK(mlock, "%p, %zu", addr, len);
	return RTG_REAL(mlock)(addr, len);
}

RTG_EXPORT int munlock(const void *addr, size_t len)
{
	RTG_CHECK(munlock, "%p, %zu", addr, len);
	return RTG_REAL(munlock)(addr, len);
}

/* Up to six word-sized arguments, as the kernel takes them; the caller's
 * extra ones are unused registers or stack words we only copy. */
RTG_EXPORT long syscall(long number, ...)
{
	va_list ap;
	long a[6];
	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	RTG_CHECK(syscall, "%ld, ...", number);
	return RTG_REAL(syscall)(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

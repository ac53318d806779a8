#ifndef KEEL_CMICROHTTPD_SHIM_H
#define KEEL_CMICROHTTPD_SHIM_H
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <netdb.h>
#include <microhttpd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <fcntl.h>
#include <ctype.h>
#include <stdlib.h>

/// Percent-decodes in place like libmicrohttpd's default, except that "%00" is left as it is, so a
/// decoded NUL can never cut a path or a query value short.
static size_t keel_mhd_unescape(void *cls, struct MHD_Connection *c, char *s) {
    (void) cls; (void) c;
    char *w = s;
    const char *r = s;
    while (*r) {
        if (r[0] == '%' && isxdigit((unsigned char) r[1]) && isxdigit((unsigned char) r[2]) && !(r[1] == '0' && r[2] == '0')) {
            char hex[3] = { r[1], r[2], 0 };
            *w++ = (char) strtoul(hex, NULL, 16);
            r += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
    return (size_t) (w - s);
}

// Typed wrappers for libmicrohttpd's variadic entry points, which Swift cannot call.

/// Starts a daemon in external epoll mode (no thread of its own: the caller's event loop polls
/// `keel_mhd_epoll_fd` and calls `MHD_run`). With `listen_fd` >= 0 it accepts on that existing
/// listening socket (shared with other daemons) instead of binding `host`:`port`.
static inline struct MHD_Daemon *keel_mhd_start_external_daemon(unsigned int flags, const char *host, uint16_t port,
                                                                int listen_fd,
                                                                MHD_AccessHandlerCallback handler, void *handler_cls,
                                                                MHD_RequestCompletedCallback completed, void *completed_cls,
                                                                MHD_LogCallback logger, void *logger_cls,
                                                                unsigned int connection_limit,
                                                                unsigned int timeout_seconds, size_t memory_limit) {
    if (listen_fd >= 0) {
        return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                                MHD_OPTION_EXTERNAL_LOGGER, logger, logger_cls,
                                MHD_OPTION_UNESCAPE_CALLBACK, keel_mhd_unescape, NULL,
                                MHD_OPTION_LISTEN_SOCKET, (MHD_socket) listen_fd,
                                MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                                MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                                MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
                                MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit,
                                MHD_OPTION_END);
    }
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    char service[8];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%u", (unsigned) port);
    if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL) {
        return NULL;
    }
    if (res->ai_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    struct MHD_Daemon *d = MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                                            MHD_OPTION_EXTERNAL_LOGGER, logger, logger_cls,
                                            MHD_OPTION_UNESCAPE_CALLBACK, keel_mhd_unescape, NULL,
                                            MHD_OPTION_SOCK_ADDR, res->ai_addr,
                                            MHD_OPTION_NOTIFY_COMPLETED, completed, completed_cls,
                                            MHD_OPTION_CONNECTION_LIMIT, connection_limit,
                                            MHD_OPTION_CONNECTION_TIMEOUT, timeout_seconds,
                                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, memory_limit,
                                            MHD_OPTION_END);
    freeaddrinfo(res);
    return d;
}

/// The daemon's epoll descriptor (external epoll mode), or -1.
static inline int keel_mhd_epoll_fd(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);
    return info ? info->epoll_fd : -1;
}

/// The daemon's listening socket, or -1.
static inline int keel_mhd_listen_fd(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_LISTEN_FD);
    return info ? info->listen_fd : -1;
}

/// Milliseconds until the daemon must run even without activity, or -1 for no deadline.
static inline long long keel_mhd_timeout_ms(struct MHD_Daemon *d) {
    MHD_UNSIGNED_LONG_LONG t = 0;
    if (MHD_get_timeout(d, &t) != MHD_YES) return -1;
    return t > 0x7fffffffLL ? 0x7fffffffLL : (long long) t;
}

/// Makes a socket non-blocking (daemons sharing a listening socket race for each connection).
static inline int keel_set_nonblocking(int fd) {
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/// Formats a libmicrohttpd log message (printf-style with a va_list) into `buf`.
static inline int keel_vformat(char *buf, size_t size, const char *fmt, va_list ap) {
    return vsnprintf(buf, size, fmt, ap);
}

/// The socket of a connection, or -1.
static inline int keel_mhd_connection_fd(struct MHD_Connection *c) {
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    return info ? info->connect_fd : -1;
}

/// The port the daemon listens on (useful after binding port 0), or 0.
static inline uint16_t keel_mhd_bound_port(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

/// The number of open connections.
static inline unsigned int keel_mhd_current_connections(struct MHD_Daemon *d) {
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return info ? info->num_connections : 0;
}

/// Sets the connection's idle timeout in seconds (0 disables it).
static inline enum MHD_Result keel_mhd_set_connection_timeout(struct MHD_Connection *c, unsigned int seconds) {
    return MHD_set_connection_option(c, MHD_CONNECTION_OPTION_TIMEOUT, seconds);
}

/// Adds `fd` to an epoll set, tagged with `id`. Returns 0 or -1 (errno set).
static inline int keel_epoll_add(int epfd, int fd, uint32_t events, uint64_t id) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = id;
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/// Removes `fd` from an epoll set.
static inline int keel_epoll_remove(int epfd, int fd) {
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
}

/// Waits for events and writes the ids of the ready descriptors to `ids`. Returns the count or -1.
static inline int keel_epoll_wait_ids(int epfd, uint64_t *ids, int max, int timeout_ms) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, events, max, timeout_ms);
    for (int i = 0; i < n; i++) ids[i] = events[i].data.u64;
    return n;
}

static inline int keel_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline int keel_eventfd_create(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }
static const uint32_t KEEL_EPOLL_IN = EPOLLIN;
static const uint32_t KEEL_EPOLL_PEER_CLOSED = EPOLLRDHUP | EPOLLHUP | EPOLLERR;
static const enum MHD_ValueKind KEEL_MHD_HEADER_KIND = MHD_HEADER_KIND;
static const enum MHD_ValueKind KEEL_MHD_GET_ARGUMENT_KIND = MHD_GET_ARGUMENT_KIND;
static const enum MHD_ResponseMemoryMode KEEL_MHD_RESPMEM_MUST_COPY = MHD_RESPMEM_MUST_COPY;
static const enum MHD_RequestTerminationCode KEEL_MHD_TERMINATED_OK = MHD_REQUEST_TERMINATED_COMPLETED_OK;
static const enum MHD_Result KEEL_MHD_YES = MHD_YES;
static const enum MHD_Result KEEL_MHD_NO = MHD_NO;
#endif

#ifndef KEEL_CMICROHTTPD_SHIM_H
#define KEEL_CMICROHTTPD_SHIM_H
#include <stdint.h>
#include <stdarg.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <microhttpd.h>

// Typed wrappers for libmicrohttpd's variadic entry points, which Swift cannot call.

/// Starts a daemon with options passed as an `MHD_OPTION_ARRAY` terminated by `MHD_OPTION_END`.
static inline struct MHD_Daemon *keel_mhd_start_daemon(unsigned int flags, uint16_t port,
                                                       MHD_AccessHandlerCallback handler, void *handler_cls,
                                                       struct MHD_OptionItem *options) {
    return MHD_start_daemon(flags, port, NULL, NULL, handler, handler_cls,
                            MHD_OPTION_ARRAY, options, MHD_OPTION_END);
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
#endif

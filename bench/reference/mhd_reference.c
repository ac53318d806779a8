/*
 * Reference server for Keel's HTTP benchmarks: plain C on libmicrohttpd with the same threading
 * (epoll, one worker per core) and no application logic. GET answers {"status":"ok"}; POST echoes
 * the body. It is the ceiling the engine's Swift layer is measured against.
 *
 *   cc -O2 -o mhd_reference mhd_reference.c $(pkg-config --cflags --libs libmicrohttpd)
 *   ./mhd_reference PORT THREADS
 */
#include <microhttpd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct body { size_t len, cap; char *data; };

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                               const char *version, const char *upload, size_t *upload_size, void **state) {
    (void) cls; (void) url; (void) version;
    if (*state == NULL) {
        *state = calloc(1, sizeof(struct body));
        return MHD_YES;
    }
    struct body *b = *state;
    if (*upload_size > 0) {
        if (b->len + *upload_size > b->cap) {
            b->cap = (b->len + *upload_size) * 2;
            b->data = realloc(b->data, b->cap);
        }
        memcpy(b->data + b->len, upload, *upload_size);
        b->len += *upload_size;
        *upload_size = 0;
        return MHD_YES;
    }
    struct MHD_Response *r;
    if (strcmp(method, "POST") == 0) {
        r = MHD_create_response_from_buffer(b->len, b->data, MHD_RESPMEM_MUST_COPY);
    } else {
        static const char ok[] = "{\"status\":\"ok\"}";
        r = MHD_create_response_from_buffer(sizeof ok - 1, (void *) ok, MHD_RESPMEM_PERSISTENT);
    }
    MHD_add_response_header(r, "content-type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode toe) {
    (void) cls; (void) c; (void) toe;
    struct body *b = *state;
    if (b) { free(b->data); free(b); *state = NULL; }
}

int main(int argc, char **argv) {
    unsigned port = argc > 1 ? (unsigned) atoi(argv[1]) : 4300;
    unsigned threads = argc > 2 ? (unsigned) atoi(argv[2]) : (unsigned) sysconf(_SC_NPROCESSORS_ONLN);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO, (uint16_t) port, NULL, NULL,
                                            handler, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads,
                                            MHD_OPTION_CONNECTION_LIMIT, 1024u,
                                            MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
    if (!d) return 1;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}

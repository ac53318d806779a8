#ifndef KEEL_CCURL_SHIM_H
#define KEEL_CCURL_SHIM_H
#include <curl/curl.h>

// Typed wrappers for libcurl's variadic setters and getters, which Swift cannot call.

static inline CURLcode keel_curl_easy_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_ptr(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_str(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_write_fn(CURL *h, CURLoption o, curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_read_fn(CURL *h, CURLoption o, curl_read_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode keel_curl_easy_setopt_xferinfo_fn(CURL *h, CURLoption o, curl_xferinfo_callback v) { return curl_easy_setopt(h, o, v); }

static inline CURLcode keel_curl_easy_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode keel_curl_easy_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode keel_curl_easy_getinfo_ptr(CURL *h, CURLINFO i, void **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode keel_curl_easy_getinfo_str(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }

static inline CURLMcode keel_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }

// Function-like and composite macros Swift cannot import.

/// `curl_global_init(CURL_GLOBAL_DEFAULT)`.
static inline CURLcode keel_curl_global_init_default(void) { return curl_global_init(CURL_GLOBAL_DEFAULT); }

/// `CURL_WRITEFUNC_PAUSE`: returned by a write callback to pause the receiving side of a transfer.
static inline size_t keel_curl_writefunc_pause(void) { return CURL_WRITEFUNC_PAUSE; }
/// `curl_easy_pause(h, CURLPAUSE_CONT)`: resumes both directions of a paused transfer.
static inline CURLcode keel_curl_easy_unpause(CURL *h) { return curl_easy_pause(h, CURLPAUSE_CONT); }
/// The `CURLcode` result carried by a `CURLMSG_DONE` message.
static inline CURLcode keel_curl_msg_result(const CURLMsg *m) { return m->data.result; }
#endif

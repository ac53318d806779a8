#ifndef KEEL_CSQLITE_SHIM_H
#define KEEL_CSQLITE_SHIM_H

#include <sqlite3.h>

/* SQLITE_TRANSIENT is a macro that casts -1 to a function pointer, which Swift cannot import.
 * These typed wrappers bind text and blobs with it, so SQLite copies the bytes before returning. */

static inline sqlite3_destructor_type keel_sqlite3_transient(void) {
    return SQLITE_TRANSIENT;
}

static inline int keel_sqlite3_bind_text_transient(sqlite3_stmt *stmt, int index, const char *text, int byteCount) {
    return sqlite3_bind_text(stmt, index, text, byteCount, SQLITE_TRANSIENT);
}

static inline int keel_sqlite3_bind_blob_transient(sqlite3_stmt *stmt, int index, const void *bytes, int byteCount) {
    return sqlite3_bind_blob(stmt, index, bytes, byteCount, SQLITE_TRANSIENT);
}

#endif

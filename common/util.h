/* util — time, random, small string and file helpers shared by every process. */
#ifndef GHR_UTIL_H
#define GHR_UTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t now_ms(void);           /* CLOCK_MONOTONIC, milliseconds */
int64_t wall_ms(void);          /* CLOCK_REALTIME, epoch milliseconds */
int64_t iso8601_to_ms(const char *s);   /* "2025-11-23T01:02:03Z" / "...03.123456" / "+00:00"; -1 bad */
void ms_to_iso8601(int64_t epoch_ms, char out[32]);

/* Random bytes from getrandom(); aborts only if the kernel cannot give any. */
void random_bytes(void *buf, size_t len);
void random_hex(char *out, size_t nbytes);       /* writes 2*nbytes hex chars + NUL */
uint64_t random_u64(void);

/* Exponential backoff with full jitter: attempt 0 → 0 ms (first retry immediate),
 * attempt n → random in [base*2^(n-1)/2, min(cap, base*2^(n-1))]. */
int64_t backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms);

/* Room for `need` elements of `elem` bytes in the array *arr whose capacity is *cap
 * (doubling from 16).  0, or -1 (ENOMEM, also on size overflow) with *arr and *cap
 * untouched.  The one growable-array step of every process. */
int array_reserve(void **arr, size_t *cap, size_t need, size_t elem);

/* Read a whole file (at most max bytes) into a malloc'd NUL-terminated buffer. */
char *read_file(const char *path, size_t max, size_t *len_out);
/* Write atomically: tmp file in the same directory, fsync, rename. */
int write_file_atomic(const char *path, const void *data, size_t len, int mode);
/* The same relative to a directory descriptor, never following a symbolic link. */
char *read_file_at(int dirfd, const char *name, size_t max, size_t *len_out);
int write_file_atomic_at(int dirfd, const char *name, const void *data, size_t len, int mode);

/* Bounded copies that always terminate; return -1 when truncated. */
int strlcpy_chk(char *dst, const char *src, size_t size);

/* Wipe and free a secret string. */
void secret_free(char *s);

/* Block the signals in sigs (a 0-terminated list), ignore SIGPIPE, and return a
 * non-blocking, close-on-exec signalfd that delivers the blocked ones: ghrd and every
 * worker take their signals as reads on their event loop, set up alike.  -1 with err
 * set ("signalfd: ...") on failure. */
int signals_to_fd(const int *sigs, char *err, size_t errlen);

#endif

/* redact — keep secrets out of every log line and error message.
 *
 * Masks, in place: GitHub tokens (ghp_ gho_ ghs_ ghu_ ghr_ github_pat_), JWTs (eyJ…​.…​.…),
 * the value of JSON or key=value fields whose name says secret (jit_config,
 * encoded_jit_config, password, secret, token, private_key, authorization,
 * x-subject-token, x-auth-token), "Bearer …" / "token …" credentials, PEM private key
 * blocks, and user:password@ in URIs.  Plus every literal registered with
 * redact_add_secret() (a worker registers the secret it was handed).  The mask is
 * "[REDACTED]"; the result is never longer than the input plus a bounded amount, and
 * redact_line() works on a buffer it may grow. */
#ifndef GHR_REDACT_H
#define GHR_REDACT_H

#include <stddef.h>

/* Returns a malloc'd redacted copy of s (never NULL unless out of memory). */
char *redact_dup(const char *s);
/* Redact s into buf (size bufsz), truncating safely; returns buf. */
char *redact_into(const char *s, char *buf, size_t bufsz);

/* Register a literal secret (copied; at most 32 kept; strings under 8 bytes ignored). */
void redact_add_secret(const char *secret);
void redact_clear_secrets(void);       /* wipes the copies (explicit_bzero) */

#endif

/* redact — keep secrets out of every log line and error message.
 *
 * Masks: GitHub tokens (ghp_ gho_ ghs_ ghu_ ghr_ github_pat_), JWTs (eyJ…​.…​.…),
 * the value of JSON (also backslash-escaped JSON, \"k\":\"v\") or key=value fields
 * whose name says secret (jit_config, encoded_jit_config, password, secret, token, private_key, authorization,
 * x-subject-token, x-auth-token), "Bearer …" / "token …" credentials, PEM private key
 * blocks, and user:password@ in URIs.  Plus every literal registered with
 * redact_add_secret() (a worker registers the secret it was handed).  The mask is
 * "[REDACTED]" whatever the length of what it replaces, so the result can be longer
 * than the input: a masked value shorter than the mask (even an empty one) grows to
 * its 10 bytes, and nothing bounds the growth but the input's length.  redact_dup()
 * allocates what it needs; redact_into() cuts the result to its buffer. */
#ifndef GHR_REDACT_H
#define GHR_REDACT_H

#include <stddef.h>

/* Returns a malloc'd redacted copy of s (never NULL unless out of memory). */
char *redact_dup(const char *s);
/* Redact s into buf (size bufsz), truncating safely; returns buf. */
char *redact_into(const char *s, char *buf, size_t bufsz);

/* Register a literal secret (copied; at most 32 kept, later ones ignored; strings under
 * 8 bytes ignored). */
void redact_add_secret(const char *secret);
/* A secret was renewed: wipe and drop old_secret's copy (if registered) and register
 * new_secret in its place, so renewals never exhaust the 32 slots. */
void redact_replace_secret(const char *old_secret, const char *new_secret);
void redact_clear_secrets(void);       /* wipes the copies (explicit_bzero) */

#endif

"""Small helpers shared by every module."""
import json
import os
import time
import uuid


def now():
    """Wall clock seconds. Used for timestamps shown to clients and for expiry."""
    return time.time()


def mono():
    """Monotonic seconds. Used for queue-time statistics and scheduling."""
    return time.monotonic()


def iso(ts, frac=False):
    """ISO 8601 UTC as the real services print it ('2026-11-23T00:58:09Z')."""
    t = time.gmtime(ts)
    s = time.strftime("%Y-%m-%dT%H:%M:%S", t)
    if frac:
        return s + ".%06d" % int((ts % 1) * 1e6)
    return s + "Z"


def uuid4():
    return str(uuid.uuid4())


def hex32():
    """Keystone style ids: 32 lowercase hex characters."""
    return uuid.uuid4().hex


def rand_str(n, alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"):
    b = os.urandom(n)
    return "".join(alphabet[x % len(alphabet)] for x in b)


def dumps(obj):
    # Compact separators: less to send, less to hash for ETags.
    return json.dumps(obj, separators=(",", ":")).encode()


def percentile(values, p):
    """Nearest-rank percentile; None for an empty list."""
    if not values:
        return None
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def is_int(x):
    # JSON true/false are Python bools, which are ints: the real validators refuse them.
    return isinstance(x, int) and not isinstance(x, bool)

"""RS256 JWT verification with the standard library only.

RSASSA-PKCS1-v1_5 verification is one modular exponentiation (pow) and a byte
comparison against the expected encoding; the public key comes out of a PEM
through a minimal DER reader.  Accepted PEMs: PUBLIC KEY (SubjectPublicKeyInfo),
RSA PUBLIC KEY (PKCS#1), and, for convenience, PRIVATE KEY / RSA PRIVATE KEY
(the public half is read from them).
"""
import base64
import hashlib
import hmac
import json
import re

# DER of DigestInfo(sha256) without the 32-byte digest (RFC 8017, 9.2 note 1).
SHA256_DIGESTINFO = bytes.fromhex("3031300d060960864801650304020105000420")
RSA_OID = bytes.fromhex("2a864886f70d010101")


class KeyError_(ValueError):
    pass


class JWTError(ValueError):
    pass


def _tlv(buf, pos):
    """(tag, value bytes, next position) of the DER element at pos."""
    if pos + 2 > len(buf):
        raise KeyError_("truncated DER")
    tag = buf[pos]
    ln = buf[pos + 1]
    pos += 2
    if ln & 0x80:
        nb = ln & 0x7F
        if nb == 0 or nb > 4 or pos + nb > len(buf):
            raise KeyError_("bad DER length")
        ln = int.from_bytes(buf[pos:pos + nb], "big")
        pos += nb
    if pos + ln > len(buf):
        raise KeyError_("truncated DER value")
    return tag, buf[pos:pos + ln], pos + ln


def _children(val):
    out = []
    pos = 0
    while pos < len(val):
        t, v, pos = _tlv(val, pos)
        out.append((t, v))
    return out


def _seq(buf):
    """Children of the SEQUENCE at the start of buf as [(tag, value)]."""
    tag, val, _ = _tlv(buf, 0)
    if tag != 0x30:
        raise KeyError_("expected SEQUENCE")
    return _children(val)


def _int(tv):
    if tv[0] != 0x02:
        raise KeyError_("expected INTEGER")
    return int.from_bytes(tv[1], "big", signed=False)


def _rsa_public_key(der):
    items = _seq(der)
    return _int(items[0]), _int(items[1])


def _spki(der):
    items = _seq(der)
    if items[0][0] != 0x30:
        raise KeyError_("expected AlgorithmIdentifier")
    alg = _children(items[0][1])
    if not alg or alg[0][0] != 0x06 or alg[0][1] != RSA_OID:
        raise KeyError_("not an RSA key")
    if items[1][0] != 0x03 or not items[1][1] or items[1][1][0] != 0:
        raise KeyError_("bad BIT STRING")
    return _rsa_public_key(items[1][1][1:])


def _pkcs1_private(der):
    items = _seq(der)
    return _int(items[1]), _int(items[2])


def _pkcs8_private(der):
    items = _seq(der)
    if items[2][0] != 0x04:
        raise KeyError_("bad PKCS#8")
    return _pkcs1_private(items[2][1])


def load_pem(pem):
    """(n, e) from a PEM text."""
    m = re.search(r"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", pem, re.S)
    if not m:
        raise KeyError_("no PEM block")
    kind = m.group(1)
    parsers = {"PUBLIC KEY": _spki, "RSA PUBLIC KEY": _rsa_public_key,
               "RSA PRIVATE KEY": _pkcs1_private, "PRIVATE KEY": _pkcs8_private}
    if kind not in parsers:
        raise KeyError_("unsupported PEM type %s" % kind)
    try:
        der = base64.b64decode("".join(m.group(2).split()), validate=True)
        return parsers[kind](der)
    except (IndexError, ValueError) as e:
        raise KeyError_("bad %s: %s" % (kind, e))


def rsa_pkcs1v15_sha256_verify(n, e, message, signature):
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    s = int.from_bytes(signature, "big")
    if s >= n:
        return False
    em = pow(s, e, n).to_bytes(k, "big")
    t = SHA256_DIGESTINFO + hashlib.sha256(message).digest()
    if k < len(t) + 11:
        return False
    expected = b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t
    return hmac.compare_digest(em, expected)


def b64url_decode(s):
    if not re.fullmatch(r"[A-Za-z0-9_-]*", s):
        raise JWTError("bad base64url")
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(token, n, e):
    """Claims of an RS256 JWT whose signature verifies, else JWTError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError("A JSON web token could not be decoded")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        sig = b64url_decode(parts[2])
    except (ValueError, JWTError):
        raise JWTError("A JSON web token could not be decoded")
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        raise JWTError("A JSON web token could not be decoded")
    if not rsa_pkcs1v15_sha256_verify(n, e, (parts[0] + "." + parts[1]).encode(), sig):
        raise JWTError("A JSON web token could not be decoded")
    return claims


def check_github_claims(claims, now, app_id, client_id):
    """GitHub's rules for an app JWT: iat not in the future, exp in the future and
    at most 10 minutes after iat, iss = the app id or client id."""
    iat = claims.get("iat")
    exp = claims.get("exp")
    if not isinstance(iat, int) or isinstance(iat, bool) or iat > now + 1:
        raise JWTError("'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued.")
    if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now:
        raise JWTError("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.")
    if exp - iat > 600 or exp > now + 600:
        raise JWTError("'Expiration time' claim ('exp') is too far in the future.")
    iss = claims.get("iss")
    if str(iss) not in (str(app_id), str(client_id)):
        raise JWTError("'Issuer' claim ('iss') must be the app id or client id of the GitHub App.")

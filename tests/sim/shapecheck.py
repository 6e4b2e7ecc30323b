"""Two small checkers the shape tests use (not a test module itself).

OpenAPI: validates a JSON value against the OpenAPI 3.0 subset GitHub's
description uses: $ref, type, required, properties, items, enum, nullable,
allOf (all), oneOf/anyOf (loosely: at least one).  additionalProperties and
formats are not checked: GitHub adds fields over time, clients must ignore them.

shape_diff: compares a value with a captured sample: same keys in every object
(both ways), same JSON types (a null on either side matches anything: the
captures hold nulls where other states hold values).
"""

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
}


class OpenAPI:
    def __init__(self, doc):
        self.doc = doc

    def ref(self, ref):
        node = self.doc
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return node

    def resolve(self, node):
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            node = self.ref(node["$ref"])
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop")
        return node

    def response_schema(self, path, method, status, ctype="application/json"):
        op = self.doc["paths"][path][method.lower()]
        resp = self.resolve(op["responses"][str(status)])
        return resp["content"][ctype]["schema"]

    def request_schema(self, path, method, ctype="application/json"):
        op = self.doc["paths"][path][method.lower()]
        return op["requestBody"]["content"][ctype]["schema"]

    def check(self, value, schema, where="$"):
        """List of problems (empty = valid)."""
        s = self.resolve(schema)
        errs = []
        if value is None:
            alts = s.get("anyOf") or s.get("oneOf")
            if s.get("nullable") or (alts and any(self.resolve(a).get("nullable") for a in alts)):
                return errs
            if "type" not in s and not alts and "allOf" not in s:
                return errs     # an untyped schema accepts anything
            return ["%s: null but not nullable" % where]
        for sub in s.get("allOf", []):
            errs += self.check(value, sub, where)
        for key in ("oneOf", "anyOf"):
            if key in s:
                alts = [self.check(value, sub, where) for sub in s[key]]
                if all(alts):
                    errs.append("%s: matches none of %s (%s)" % (where, key, alts[0][:2]))
        t = s.get("type")
        if t is not None:
            if not TYPES[t](value):
                return errs + ["%s: expected %s, got %s" % (where, t, type(value).__name__)]
        if "enum" in s and value not in s["enum"]:
            errs.append("%s: %r not in %r" % (where, value, s["enum"]))
        if isinstance(value, dict):
            for k in s.get("required", []):
                if k not in value:
                    errs.append("%s: missing required %r" % (where, k))
            for k, sub in s.get("properties", {}).items():
                if k in value:
                    errs += self.check(value[k], sub, "%s.%s" % (where, k))
        if isinstance(value, list) and "items" in s:
            for i, item in enumerate(value):
                errs += self.check(item, s["items"], "%s[%d]" % (where, i))
        return errs


def _jtype(v):
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return "null"


def shape_diff(sample, ours, where="$", ignore=(), free=("metadata",)):
    """Differences of keys and types between a captured sample and our value.
    Keys in `free` hold user-defined maps (server metadata): only their type is compared."""
    errs = []
    if sample is None or ours is None:
        return errs
    ts, to = _jtype(sample), _jtype(ours)
    if ts != to:
        return ["%s: sample is %s, ours is %s" % (where, ts, to)]
    if isinstance(sample, dict):
        sk, ok = set(sample) - set(ignore), set(ours) - set(ignore)
        for k in sorted(sk - ok):
            errs.append("%s: missing key %r" % (where, k))
        for k in sorted(ok - sk):
            errs.append("%s: extra key %r" % (where, k))
        for k in sorted(sk & ok):
            if k in free:
                if _jtype(sample[k]) != _jtype(ours[k]):
                    errs.append("%s.%s: type differs" % (where, k))
                continue
            errs += shape_diff(sample[k], ours[k], "%s.%s" % (where, k), ignore, free)
    elif isinstance(sample, list) and sample and ours:
        errs += shape_diff(sample[0], ours[0], where + "[0]", ignore, free)
    return errs

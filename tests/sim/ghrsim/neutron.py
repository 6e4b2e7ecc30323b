"""Neutron v2.0 networks (read-only), shaped after neutron-networks-list-response.json.

Filters are exact matches on any network attribute (name=, id=, shared=...),
repeated `fields=` project the result, as the real API does.
"""
from .faults import neutron_error
from .httpd import json_response

PAGING = ("limit", "marker", "page_reverse", "sort_key", "sort_dir", "fields")


def _visible(req, n):
    return n["shared"] or n["project_id"] == req.ctx["token"]["project_id"]


def _match(n, k, vals):
    v = n.get(k)
    if isinstance(v, bool):
        return str(v).lower() in [x.lower() for x in vals]
    return str(v) in vals


def _project(n, fields):
    return {k: v for k, v in n.items() if k in fields} if fields else dict(n)


def list_networks(sim, req):
    fields = req.qall("fields")
    filters = {k: v for k, v in req.query.items() if k not in PAGING}
    with sim.lock:
        nets = sim.regions[req.region].networks.values()
        for k in filters:
            if nets and k not in next(iter(nets)):
                return neutron_error(400, "HTTPBadRequest", "%s is invalid attribute for filtering" % k)
        out = [_project(n, fields) for n in nets
               if _visible(req, n) and all(_match(n, k, v) for k, v in filters.items())]
    return json_response(200, {"networks": out})


def show_network(sim, req):
    nid = req.params[0]
    with sim.lock:
        n = sim.regions[req.region].networks.get(nid)
        if n is None or not _visible(req, n):
            return neutron_error(404, "NetworkNotFound", "Network %s could not be found." % nid)
        v = _project(n, req.qall("fields"))
    return json_response(200, {"network": v})


def versions(sim, req):
    base = sim.base_url + req.ctx["prefix"]
    return json_response(200, {"versions": [{"status": "CURRENT", "id": "v2.0",
                                             "links": [{"href": base + "/v2.0/", "rel": "self"}]}]})


ROUTES = [
    ("GET", r"^/?$", versions, "/", False),
    ("GET", r"^/v2\.0/networks/?$", list_networks, "/v2.0/networks", True),
    ("GET", r"^/v2\.0/networks/([^/]+)/?$", show_network, "/v2.0/networks/{id}", True),
]

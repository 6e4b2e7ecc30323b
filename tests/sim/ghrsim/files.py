"""A plain static file server on the API port, under /files/: the mirror of Ubuntu cloud
images (an image file and its SHA256SUMS) that an image builder downloads base images
from.  Files are put there through the control API (POST /files).  No auth, no faults:
a web server, not a cloud service."""
from .httpd import Response


def serve(sim, req):
    with sim.lock:
        data = sim.files.get(req.params[0])
        if data is not None:
            sim.counters.inc("file_downloads")
    if data is None:
        return Response(404, b"404 Not Found\n", ctype="text/plain")
    return Response(200, data, ctype="application/octet-stream")


ROUTES = [
    ("GET", r"^/(.+)$", serve, "/files/{path}", False),
]

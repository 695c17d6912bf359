"""The floor under every answer gunicorn gives, for `make bench`: the same gunicorn
(netguide/gunicorn.conf.py) returning the treatment page's bytes with no Django at all.
A page-cache hit's CPU reads against this: what is left above it is Django's."""

import os
from pathlib import Path

BODY = Path(os.environ["BENCH_FLOOR_FILE"]).read_bytes()
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Length", str(len(BODY))),
]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]

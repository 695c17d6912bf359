"""gunicorn settings for production; every value can be overridden by the environment."""

import multiprocessing
import os
import re
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads give each worker its concurrency: one process per core and one more keeps the
# cores busy, and leaves each worker a bigger share of the server's database connections
# (settings.WEB_WORKERS reads the same variable; 3 workers x 4 connections here). Five
# workers with 2 each cost more CPU per request (docs/database-connections.md).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
# Threads are cheap while they wait: enough of them that requests waiting on a slow
# database (or up to 3 s for one of the worker's pooled connections) leave room for
# cached pages, which need no connection.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 5
# Load Django once in the master: workers fork ready to answer. The master opens no
# database connection: each worker's pool opens at its first query.
preload_app = True
timeout = 30
graceful_timeout = 20
# Recycle workers only when asked (a leak workaround, not a default): a recycled worker
# drops its keep-alive connections.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Request lines and headers larger than this are refused before Django sees them.
limit_request_line = 4094
limit_request_fields = 50
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", None)
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# Query strings carry what people typed or answered (a patient's search, their answers
# in "Find my options" and their own questions in a summary; a coordinator's search for
# a name or phone): the access log keeps addresses without them, in the request line
# and the Referer.


# A share link's token is the key to an unpublished draft: it is logged as "-".
SHARED_PREVIEW = re.compile(r"^((?:/[a-z]{2})?/preview/shared/)[^/]+")


def _logged_path(path):
    return SHARED_PREVIEW.sub(r"\1-", path)


def _logged_url(url):
    parts = urlsplit(url)
    parts = parts._replace(path=_logged_path(parts.path), query="", fragment="")
    return urlunsplit(parts)


class AccessLogWithoutQueries(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        logged = _logged_path(environ.get("PATH_INFO") or "")
        atoms["r"] = " ".join(
            (environ["REQUEST_METHOD"], logged, environ["SERVER_PROTOCOL"])
        )
        atoms["U"] = logged
        atoms["q"] = ""
        for name in ("f", "{referer}i"):
            if atoms.get(name) and atoms[name] != "-":
                atoms[name] = _logged_url(atoms[name])
        return atoms


logger_class = AccessLogWithoutQueries

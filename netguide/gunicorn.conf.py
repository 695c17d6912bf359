"""gunicorn settings for production; every value can be overridden by the environment."""

import multiprocessing
import os
from urllib.parse import urlsplit, urlunsplit

from gunicorn.glogging import Logger

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
# Threads are cheap while they wait: enough of them that requests stuck on a slow
# database (until the 2 s connect timeout) leave room for cached pages.
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
keepalive = 5
# Load Django once in the master: workers fork ready to answer.
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


# Admin URLs carry what staff typed in their query strings (a patient's name or phone in
# a search, in ?q= and in the next page's Referer): the access log keeps the path only.
ADMIN_PREFIX = "/" + os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"


def _without_admin_query(url):
    parts = urlsplit(url)
    if parts.path.startswith(ADMIN_PREFIX) and parts.query:
        return urlunsplit(parts._replace(query="", fragment=""))
    return url


class AccessLogWithoutAdminQueries(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        if (environ.get("PATH_INFO") or "").startswith(ADMIN_PREFIX):
            atoms["r"] = " ".join(
                (
                    environ["REQUEST_METHOD"],
                    environ["PATH_INFO"],
                    environ["SERVER_PROTOCOL"],
                )
            )
            atoms["q"] = ""
        for name in ("f", "{referer}i"):
            if atoms.get(name):
                atoms[name] = _without_admin_query(atoms[name])
        return atoms


logger_class = AccessLogWithoutAdminQueries

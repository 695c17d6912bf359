"""Where a render's time goes: cProfile over a few hundred requests per page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> REDIS_URL=redis://127.0.0.1:6379/2 \
        .venv/bin/python scripts/profile_pages.py [--renders 300] [--top 25] [page ...]

Runs the whole WSGI handler (every middleware) in this process with DEBUG off, on the
database named by DATABASE_URL (PostgreSQL, with the demo content: `make bench`
prepares one). "Uncached" lines run with the page cache off (PAGE_CACHE_SECONDS=0,
as `make bench`'s uncached server); "cache hit" lines with it on and warm. For each
page it prints CPU and database time per request (measured without the profiler),
the queries per request, then the profile's top functions by own time and by
cumulative time, in CPU time (the thread's, so waits for the database do not count). docs/benchmarks.md records its output.
"""

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netguide.settings")
os.environ["DJANGO_DEBUG"] = ""
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("NETGUIDE_ALLOW_PLAIN_HTTP", "1")
os.environ.setdefault("NETGUIDE_CACHE_PREFIX", f"profile-{os.getpid()}")
os.environ.setdefault("NETGUIDE_DATABASE_CONNECTIONS_PER_SERVER", "4")
os.environ.setdefault("WEB_CONCURRENCY", "1")

PAGES = {
    "treatment": ("treatments:treatment", {"slug": ("surgery", "cirugia")}, ""),
    "compare": ("treatments:compare", {}, ("t=surgery&t=prrt", "t=cirugia&t=prrt")),
    "explore": (
        "treatments:explore",
        {},
        "origin=gi&grade=low&hormones=yes&extent=spread&liver=yes&surgery=no",
    ),
    "search": ("treatments:search", {}, "q=octreotide"),
    "home": ("treatments:home", {}, ""),
}


def addresses(name):
    from django.urls import reverse
    from django.utils.translation import override

    route, kwargs, query = PAGES[name]
    for n, language in enumerate(("en", "es")):
        with override(language):
            path = reverse(route, kwargs={k: v[n] for k, v in kwargs.items()})
        text = query[n] if isinstance(query, tuple) else query
        yield language, path, text


class DatabaseClock:
    """Wall time spent in database calls, and their number."""

    def __init__(self):
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


# --gzip: what browsers send; without it, what wrk sends in `make bench` (nothing).
ACCEPT_ENCODING = {}


def request(handler, path, query):
    environ = {
        **ACCEPT_ENCODING,
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    statuses = []
    body = b"".join(handler(environ, lambda status, headers: statuses.append(status)))
    if not statuses[0].startswith("200"):
        sys.exit(f"{path}?{query}: {statuses[0]}")
    return body


def measure(handler, path, query, renders):
    from django.db import connection

    clock = DatabaseClock()
    for _ in range(10):
        request(handler, path, query)
    cpu = time.process_time()
    with connection.execute_wrapper(clock):
        for _ in range(renders):
            request(handler, path, query)
    cpu = time.process_time() - cpu
    return cpu / renders * 1e3, clock.seconds / renders * 1e3, clock.queries / renders


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--renders", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--cache-hit", action="store_true", help="page cache warm")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument(
        "--gzip", action="store_true", help="send Accept-Encoding as browsers do"
    )
    parser.add_argument("pages", nargs="*", default=list(PAGES))
    options = parser.parse_args()
    if options.gzip:
        ACCEPT_ENCODING["HTTP_ACCEPT_ENCODING"] = "gzip, deflate, br, zstd"
    if not options.cache_hit:
        os.environ["NETGUIDE_PAGE_CACHE_SECONDS"] = "0"

    import django
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    handler = WSGIHandler()
    kind = "page cache hit" if options.cache_hit else "uncached"
    rows = []
    for name in options.pages:
        for language, path, query in addresses(name):
            address = path + (f"?{query}" if query else "")
            cpu_ms, db_ms, queries = measure(handler, path, query, options.renders)
            rows.append((f"{name} ({language}), {kind}", cpu_ms, db_ms, queries))
            if options.no_profile:
                continue
            # CPU time, not wall time: waits for the database (and for the other
            # programs of a shared machine) are not this process's cost.
            profile = cProfile.Profile(time.thread_time)
            profile.enable()
            for _ in range(options.renders):
                request(handler, path, query)
            profile.disable()
            for order in ("tottime", "cumulative"):
                out = io.StringIO()
                stats = pstats.Stats(profile, stream=out).strip_dirs()
                stats.sort_stats(order).print_stats(options.top)
                print(f"\n=== {address}: top {options.top} by {order} ===")
                print(out.getvalue().split("\n\n", 1)[-1].rstrip())
    print(f"\n{'page':<40} {'CPU ms/req':>10} {'DB ms/req':>10} {'queries':>8}")
    for label, cpu_ms, db_ms, queries in rows:
        print(f"{label:<40} {cpu_ms:>10.2f} {db_ms:>10.2f} {queries:>8.1f}")


if __name__ == "__main__":
    main()

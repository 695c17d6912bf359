"""Benchmark driver for `make bench` (see docs/benchmarks.md).

One interleaved run, every line a ratio to the ceiling measured in the same round:

- the ceiling: nginx with a plain config serving a saved copy of the treatment page;
- the published treatment and home pages through deploy/nginx.conf (the files
  `publish_site` wrote, Django's headers, no Python behind them);
- the same pages from gunicorn with the page cache warm (Redis), and uncached (every
  request rendered from PostgreSQL);
- a dynamic page (search) through nginx to gunicorn, page cache warm;
- gunicorn's own floor: the same gunicorn returning the same bytes with no Django
  (scripts/bench_floor.py), what a page-cache hit cannot go below.

gunicorn runs with production settings on PostgreSQL and Redis. wrk sends no
Accept-Encoding, so every line moves the same uncompressed bytes.
"""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deploy.nginx import Nginx  # noqa: E402

PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DURATION = os.environ.get("BENCH_DURATION", "10s")
# Ports: BENCH_PORT_BASE + 1..5 (a machine shared by several checkouts gives each its own).
PORT_BASE = int(os.environ.get("BENCH_PORT_BASE", "8100"))
WARM, COLD, PUBLISHED, CEILING, FLOOR = (PORT_BASE + n for n in (1, 2, 3, 4, 5))
PAGES = {"treatment": "/treatments/surgery/", "home": "/"}
SEARCH = "/search/?q=surgery"
# What Django renders (issue 27's targets), each line with the page cache off.
UNCACHED = {
    "treatment en": "/treatments/surgery/",
    "treatment es": "/es/tratamientos/cirugia/",
    "compare en": "/compare/?t=surgery&t=prrt",
    "compare es": "/es/comparar/?t=cirugia&t=prrt",
    "explore en": "/explore/?origin=gi&grade=low&hormones=yes&extent=spread&liver=yes&surgery=no",
    "explore es": "/es/opciones/?origin=gi&grade=low&hormones=yes&extent=spread&liver=yes&surgery=no",
    "search en": "/search/?q=octreotide",
    "search es": "/es/buscar/?q=octreotide",
}
WORK = Path(tempfile.mkdtemp(prefix="netguide-bench-"))
WORK.chmod(0o755)  # nginx's workers read it

ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/netguide_bench"
    ),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"),
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "NETGUIDE_ALLOW_PLAIN_HTTP": "1",
    "NETGUIDE_SITE_URL": f"http://127.0.0.1:{PUBLISHED}",
    "NETGUIDE_PUBLISH_DIR": str(WORK / "publish"),
    "DJANGO_DEBUG": "",
}

# The ceiling: nginx as plainly as it comes, one saved file.
PLAIN_CONFIG = """
worker_processes auto;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:%d;
        root %s;
    }
}
"""


def run(*args, **env):
    subprocess.run([PY, *args], cwd=ROOT, env={**ENV, **env}, check=True)


def prepare():
    run("scripts/ensure-database", ENV["DATABASE_URL"])
    run("manage.py", "migrate", "--noinput", "-v0")
    run("manage.py", "collectstatic", "--noinput", "-v0")
    # The demo content, imported and approved by the demo reviewer (an empty database).
    run("manage.py", "load_demo", "-v0", DJANGO_DEBUG="1")
    run("manage.py", "publish_site", "-v0")
    # The ceiling's file: the very bytes the published treatment page holds.
    saved = WORK / "plain" / "treatment.html"
    saved.parent.mkdir()
    published = WORK / "publish" / "current" / "site" / "treatments" / "surgery"
    saved.write_bytes((published / "index.html").read_bytes())


def start_gunicorn(port, cache_seconds=None, app="netguide.wsgi"):
    """gunicorn with netguide/gunicorn.conf.py on `port`, serving the site with the
    page cache kept `cache_seconds` (0: off), or another WSGI `app`."""
    env = {
        **ENV,
        # Each server its own key space: the cold one must not read the warm one's pages.
        "NETGUIDE_CACHE_PREFIX": f"bench-{port}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "BENCH_FLOOR_FILE": str(WORK / "plain" / "treatment.html"),
    }
    if cache_seconds is not None:
        env["NETGUIDE_PAGE_CACHE_SECONDS"] = str(cache_seconds)
    process = subprocess.Popen(
        [GUNICORN, app, "-c", "netguide/gunicorn.conf.py", "--pythonpath", "scripts"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    sys.exit(f"gunicorn on port {port} did not start")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(*masters):
    """CPU time used so far by these server processes and their workers."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) in masters or int(fields[1]) in masters:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def database_seconds():
    """Time PostgreSQL's backends spent running statements on the bench database so
    far (pg_stat_database.active_time, PostgreSQL 14+), in seconds."""
    import psycopg

    url = ENV["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
        db.execute("SELECT pg_stat_clear_snapshot()")
        row = db.execute(
            "SELECT active_time FROM pg_stat_database WHERE datname = %s", [name]
        ).fetchone()
    return (row[0] or 0) / 1000


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def wrk(url, connections, duration=DURATION, servers=()):
    used = cpu_seconds(*servers)
    database = database_seconds()
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency", url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    errors = 0
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors += sum(int(n) for n in match.groups())
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    used = cpu_seconds(*servers) - used
    database = database_seconds() - database
    return {
        "cpu_us": used / requests * 1e6 if requests else 0,
        "db_us": database / requests * 1e6 if requests else 0,
        "rps": rps,
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
        "errors": errors,
    }


def lines(ceiling, site, warm, cold, floor):
    """(label, url, the server processes whose CPU it costs, connections) in the
    order each round measures them: what nginx and the page cache serve at 64
    connections, what Django renders at 16 (at 64 its queue outgrows wrk's timeout)."""
    published = f"http://127.0.0.1:{PUBLISHED}"
    return [
        (
            "nginx, saved copy (ceiling)",
            f"http://127.0.0.1:{CEILING}/treatment.html",
            (ceiling,),
            64,
        ),
        ("treatment, published file", f"{published}{PAGES['treatment']}", (site,), 64),
        *(
            ("gunicorn alone (floor)", f"http://127.0.0.1:{FLOOR}/", (floor,), c)
            for c in (64, 16)
        ),
        *(
            (
                f"{name}, gunicorn cache hit",
                f"http://127.0.0.1:{WARM}{path}",
                (warm,),
                c,
            )
            for name, path in PAGES.items()
            for c in (64, 16)
        ),
        ("search, nginx->gunicorn hit", f"{published}{SEARCH}", (site, warm), 64),
        *(
            (f"{name}, uncached", f"http://127.0.0.1:{COLD}{path}", (cold,), 16)
            for name, path in UNCACHED.items()
        ),
    ]


def publish_times():
    """Seconds for a full publish_site (both languages) and for the incremental build
    the worker runs after one treatment is approved (the pages that show treatments
    rendered again, the others linked from the previous build)."""
    script = (
        "import time, django; django.setup()\n"
        "from netguide import static_site\n"
        "started = time.perf_counter(); static_site.publish()\n"
        "full = time.perf_counter() - started\n"
        "started = time.perf_counter(); outcome = static_site.publish({'treatments'})\n"
        "print(full, time.perf_counter() - started, len(outcome.rendered), "
        "len(outcome.kept))\n"
    )
    output = subprocess.run(
        [PY, "-c", script],
        cwd=ROOT,
        env={**ENV, "DJANGO_SETTINGS_MODULE": "netguide.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(output[0]), float(output[1]), int(output[2]), int(output[3])


def main():
    prepare()
    load_at_start = load_average()
    full, incremental, rendered, kept = publish_times()
    warm = start_gunicorn(WARM, cache_seconds=3600)
    cold = start_gunicorn(COLD, cache_seconds=0)
    floor = start_gunicorn(FLOOR, app="bench_floor:application")
    ceiling = Nginx(
        WORK / "nginx-plain", config=PLAIN_CONFIG % (CEILING, WORK / "plain")
    )
    site = Nginx(
        WORK / "nginx-site",
        listen=f"127.0.0.1:{PUBLISHED}",
        upstream=f"127.0.0.1:{WARM}",
        publish_dir=WORK / "publish",
        static_root=ROOT / "staticfiles",
        allowed_hosts=["127.0.0.1", "localhost"],
        allow_plain_http=True,
    )
    rows = []
    try:
        ceiling.start()
        site.start()
        measured = lines(ceiling.pid(), site.pid(), warm.pid, cold.pid, floor.pid)
        # Every server answers a few seconds of load before anything is measured.
        for _, url, _, _ in measured:
            wrk(url, 16, duration="2s")
        results = {
            (label, connections): wrk(url, connections, servers=servers)
            for label, url, servers, connections in measured
        }
        top = results["nginx, saved copy (ceiling)", 64]["rps"]
        file = results["treatment, published file", 64]
        for (label, connections), result in results.items():
            rows.append((label, connections, result, top, file))
    finally:
        for process in (warm, cold, floor):
            os.killpg(process.pid, signal.SIGTERM)
        ceiling.stop()
        site.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    load_at_end = load_average()
    print(
        f"\nwrk -t2 -d{DURATION}, no Accept-Encoding; {os.cpu_count()} CPU cores shared "
        "by wrk, nginx, gunicorn, PostgreSQL and Redis\n"
        f"load average at start {load_at_start}, at end {load_at_end}\n"
    )
    print(
        f"{'what':<32} {'conns':>5} {'req/s':>8} {'p50':>9} {'p99':>9} {'errors':>6} "
        f"{'vs ceiling':>10} {'CPU/req':>10} {'DB/req':>9} {'CPU vs file':>11}"
    )
    for label, connections, r, top, file in rows:
        print(
            f"{label:<32} {connections:>5} {r['rps']:>8.0f} {r['p50']:>9} "
            f"{r['p99']:>9} {r['errors']:>6} {r['rps'] / top:>9.0%} "
            f"{r['cpu_us'] / 1000:>7.3f} ms {r['db_us'] / 1000:>6.2f} ms "
            f"{r['cpu_us'] / max(file['cpu_us'], 1e-9):>10.0f}x"
        )
    print(
        f"\npublish_site, both languages, full: {full:.2f} s; incremental after one "
        f"treatment approval: {incremental:.2f} s ({rendered} pages rendered, "
        f"{kept} kept)"
    )
    print(
        "\nCPU/req: CPU time of the serving processes (nginx; gunicorn and its "
        "workers) per request,\nsteadier than req/s on a shared machine; DB/req: "
        "PostgreSQL's active time on the bench database\nper request (Redis is not "
        "counted). CPU vs file: CPU/req over the published treatment file's."
    )


if __name__ == "__main__":
    main()

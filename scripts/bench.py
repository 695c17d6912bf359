"""Benchmark driver for `make bench` (see docs/benchmarks.md).

One interleaved run, every line a ratio to the ceiling measured in the same round:

- the ceiling: nginx with a plain config serving a saved copy of the treatment page;
- the published treatment and home pages through deploy/nginx.conf (the files
  `publish_site` wrote, Django's headers, no Python behind them);
- the same pages from gunicorn with the page cache warm (Redis), and uncached (every
  request rendered from PostgreSQL);
- a dynamic page (search) through nginx to gunicorn, page cache warm.

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
WARM, COLD, PUBLISHED, CEILING = 8101, 8102, 8103, 8104
PAGES = {"treatment": "/treatments/surgery/", "home": "/"}
SEARCH = "/search/?q=surgery"
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
    run("manage.py", "import_content", "-v0")
    run("manage.py", "load_demo", "-v0", DJANGO_DEBUG="1")
    run("manage.py", "publish_site", "-v0")
    # The ceiling's file: the very bytes the published treatment page holds.
    saved = WORK / "plain" / "treatment.html"
    saved.parent.mkdir()
    published = WORK / "publish" / "current" / "site" / "treatments" / "surgery"
    saved.write_bytes((published / "index.html").read_bytes())


def start_gunicorn(port, cache_seconds):
    env = {
        **ENV,
        "NETGUIDE_PAGE_CACHE_SECONDS": str(cache_seconds),
        # Each server its own key space: the cold one must not read the warm one's pages.
        "NETGUIDE_CACHE_PREFIX": f"bench-{port}",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [GUNICORN, "netguide.wsgi", "-c", "netguide/gunicorn.conf.py"],
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


def wrk(url, connections, duration=DURATION, servers=()):
    used = cpu_seconds(*servers)
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
    return {
        "cpu_us": used / requests * 1e6 if requests else 0,
        "rps": rps,
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
        "errors": errors,
    }


def lines(ceiling, site, warm, cold):
    """(label, url, the server processes whose CPU it costs) in the order each round
    measures them."""
    published = f"http://127.0.0.1:{PUBLISHED}"
    return [
        (
            "nginx, saved copy (ceiling)",
            f"http://127.0.0.1:{CEILING}/treatment.html",
            (ceiling,),
        ),
        *(
            (f"{name}, published file", f"{published}{path}", (site,))
            for name, path in PAGES.items()
        ),
        *(
            (f"{name}, gunicorn warm cache", f"http://127.0.0.1:{WARM}{path}", (warm,))
            for name, path in PAGES.items()
        ),
        *(
            (f"{name}, uncached render", f"http://127.0.0.1:{COLD}{path}", (cold,))
            for name, path in PAGES.items()
        ),
        ("search, nginx->gunicorn warm", f"{published}{SEARCH}", (site, warm)),
    ]


def main():
    prepare()
    warm = start_gunicorn(WARM, cache_seconds=3600)
    cold = start_gunicorn(COLD, cache_seconds=0)
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
        measured = lines(ceiling.pid(), site.pid(), warm.pid, cold.pid)
        # Every server answers a few seconds of load before anything is measured.
        for _, url, _ in measured:
            wrk(url, 16, duration="2s")
        for connections in (64, 16):
            results = {
                label: wrk(url, connections, servers=servers)
                for label, url, servers in measured
            }
            top = results["nginx, saved copy (ceiling)"]["rps"]
            for label, result in results.items():
                rows.append((label, connections, result, result["rps"] / top))
    finally:
        for process in (warm, cold):
            os.killpg(process.pid, signal.SIGTERM)
        ceiling.stop()
        site.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(
        f"\nwrk -t2 -d{DURATION}, no Accept-Encoding; {os.cpu_count()} CPU cores shared "
        "by wrk, nginx, gunicorn, PostgreSQL and Redis\n"
    )
    print(
        f"{'what':<32} {'conns':>5} {'req/s':>10} {'p50':>9} {'p99':>9} "
        f"{'errors':>6} {'vs ceiling':>10} {'server CPU/req':>14}"
    )
    for label, connections, r, ratio in rows:
        print(
            f"{label:<32} {connections:>5} {r['rps']:>10.0f} {r['p50']:>9} "
            f"{r['p99']:>9} {r['errors']:>6} {ratio:>9.0%} {r['cpu_us']:>11.0f} us"
        )
    print(
        "\nserver CPU/req: CPU time of the serving processes (nginx; gunicorn and its "
        "workers) per request,\nsteadier than req/s on a shared machine; PostgreSQL "
        "and Redis are not counted."
    )


if __name__ == "__main__":
    main()

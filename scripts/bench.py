"""Benchmark driver for `make bench` (see docs/benchmarks.md).

Starts two gunicorn servers with production settings on PostgreSQL and Redis: one
with the page cache on (warm) and one with it off (cold: every request renders from
the database). The treatment page's HTML is also saved as a static file, served by the
same gunicorn + whitenoise stack: the ceiling. Prints requests/s, p50/p99 and errors.
"""

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
DURATION = os.environ.get("BENCH_DURATION", "10s")
PAGES = {"home": "/", "treatment": "/treatments/surgery/"}
STATIC_COPY = "bench/treatment.html"

ENV = {
    **os.environ,
    "DATABASE_URL": os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/netguide_bench"
    ),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/2"),
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "NETGUIDE_ALLOW_PLAIN_HTTP": "1",
    "DJANGO_DEBUG": "",
}


def run(*args, **env):
    subprocess.run([PY, *args], cwd=ROOT, env={**ENV, **env}, check=True)


def prepare():
    run("scripts/ensure-database", ENV["DATABASE_URL"])
    run("manage.py", "migrate", "--noinput", "-v0")
    run("manage.py", "import_content", "-v0")
    run("manage.py", "load_demo", "-v0", DJANGO_DEBUG="1")
    # The ceiling: this very page, as a file whitenoise serves from STATIC_ROOT.
    target = ROOT / "static" / STATIC_COPY
    target.parent.mkdir(parents=True, exist_ok=True)
    html = subprocess.run(
        [
            PY,
            "-c",
            "import django; django.setup(); from django.test import Client; "
            f"import sys; sys.stdout.write(Client().get('{PAGES['treatment']}').content.decode())",
        ],
        cwd=ROOT,
        env={**ENV, "DJANGO_SETTINGS_MODULE": "netguide.settings"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    target.write_text(html)
    try:
        run("manage.py", "collectstatic", "--noinput", "-v0")
    finally:
        target.unlink()
        target.parent.rmdir()


def start_server(port, cache_seconds):
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


def wrk(url, connections, duration=DURATION):
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
    return {
        "rps": rps,
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
        "errors": errors,
    }


def main():
    prepare()
    warm = start_server(8101, cache_seconds=3600)
    cold = start_server(8102, cache_seconds=0)
    rows = []
    try:
        static_url = f"http://127.0.0.1:8101/static/{STATIC_COPY}"
        urllib.request.urlopen(static_url, timeout=5)
        # Every worker and thread answers a few requests before anything is measured.
        for port in (8101, 8102):
            for path in PAGES.values():
                wrk(f"http://127.0.0.1:{port}{path}", 64, duration="3s")
        for connections in (64, 16):
            ceiling = wrk(static_url, connections)
            rows.append(("static file (ceiling)", connections, ceiling, 1.0))
            for name, path in PAGES.items():
                urllib.request.urlopen(
                    f"http://127.0.0.1:8101{path}", timeout=5
                )  # warm it
                result = wrk(f"http://127.0.0.1:8101{path}", connections)
                rows.append(
                    (
                        f"{name}, cache warm",
                        connections,
                        result,
                        result["rps"] / ceiling["rps"],
                    )
                )
                result = wrk(f"http://127.0.0.1:8102{path}", connections)
                rows.append(
                    (
                        f"{name}, cache cold",
                        connections,
                        result,
                        result["rps"] / ceiling["rps"],
                    )
                )
    finally:
        for process in (warm, cold):
            os.killpg(process.pid, signal.SIGTERM)
    print(
        f"\nwrk -t2 -d{DURATION}; {os.cpu_count()} CPU cores shared by wrk, gunicorn, PostgreSQL and Redis\n"
    )
    print(
        f"{'what':<24} {'conns':>5} {'req/s':>10} {'p50':>9} {'p99':>9} {'errors':>6} {'vs static':>9}"
    )
    for label, connections, r, ratio in rows:
        print(
            f"{label:<24} {connections:>5} {r['rps']:>10.0f} {r['p50']:>9} {r['p99']:>9} {r['errors']:>6} {ratio:>8.0%}"
        )


if __name__ == "__main__":
    main()

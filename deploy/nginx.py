"""Run Debian's nginx with deploy/nginx.conf as an ordinary process, stopped by PID.

    python deploy/nginx.py start --listen 127.0.0.1:8000 --upstream 127.0.0.1:8001 \
        --publish-dir publish --static-root staticfiles --prefix /tmp/netguide-nginx
    python deploy/nginx.py stop --prefix /tmp/netguide-nginx

scripts/serve, scripts/bench.py and the tests (tests/servers.py) use `Nginx` below.
The brotli copies are served where Debian's libnginx-mod-http-brotli-static is
installed; without it nginx serves the gzip copies only.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

DEPLOY_DIR = Path(__file__).resolve().parent
TEMPLATE = DEPLOY_DIR / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def brotli_available():
    return BROTLI_MODULE.exists()


def server_names(allowed_hosts):
    """nginx's server_name for Django's ALLOWED_HOSTS (".example.org" means the same)."""
    names = [host for host in allowed_hosts if host and host != "*"]
    return " ".join(names) if names else "localhost"


def hsts(environ=os.environ):
    """The Strict-Transport-Security value netguide/settings.py gives (production)."""
    seconds = int(environ.get("DJANGO_HSTS_SECONDS", str(365 * 24 * 3600)))
    if not seconds:
        return ""
    preload = environ.get("DJANGO_HSTS_PRELOAD", "").strip().lower()
    suffix = "; preload" if preload in {"1", "true", "yes", "on"} else ""
    return f"max-age={seconds}; includeSubDomains{suffix}"


def admin_prefix(environ=os.environ):
    """Where the admin lives (DJANGO_ADMIN_URL, as netguide/settings.py reads it), as
    a regular expression for nginx."""
    path = "/" + environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"
    return re.escape(path)


def redirect_host(site_url, allowed_hosts):
    """Where plain HTTP is sent: NETGUIDE_SITE_URL's host (with its port when that
    address is HTTPS already), else the first allowed host; never the request's."""
    site = urlsplit(site_url)
    if site.hostname:
        host = f"[{site.hostname}]" if ":" in site.hostname else site.hostname
        port = f":{site.port}" if site.scheme == "https" and site.port else ""
        return host + port
    return next(
        (host.lstrip(".") for host in allowed_hosts if host and host != "*"),
        "localhost",
    )


def real_ip(addresses):
    """nginx's realip settings for the proxies in front of it (addresses or CIDRs)."""
    if not addresses:
        return ""
    lines = [f"    set_real_ip_from {address};" for address in addresses]
    lines += ["    real_ip_header X-Forwarded-For;", "    real_ip_recursive on;"]
    return "\n".join(lines)


def fill(
    listen,
    upstream,
    publish_dir,
    static_root,
    prefix,
    allowed_hosts=("localhost", "127.0.0.1"),
    allow_plain_http=False,
    access_log=False,
    real_ip_from=(),
    site_url=None,
):
    """deploy/nginx.conf with its @NAMES@ filled in."""
    values = {
        "LOAD_MODULES": f"load_module {BROTLI_MODULE};" if brotli_available() else "",
        "BROTLI_STATIC": "brotli_static on;" if brotli_available() else "",
        "PREFIX": str(prefix),
        "ACCESS_LOG": f"{prefix}/access.log netguide" if access_log else "off",
        "ADMIN_PREFIX": admin_prefix(),
        "REAL_IP": real_ip(real_ip_from),
        "REDIRECT_HOST": redirect_host(
            os.environ.get("NETGUIDE_SITE_URL", "") if site_url is None else site_url,
            allowed_hosts,
        ),
        "ALLOW_PLAIN_HTTP": "1" if allow_plain_http else "0",
        "HSTS": hsts(),
        "UPSTREAM": upstream,
        "LISTEN": listen,
        "SERVER_NAMES": server_names(allowed_hosts),
        "PUBLISH_DIR": str(Path(publish_dir).resolve()),
        "STATIC_ROOT": str(Path(static_root).resolve()),
        "DEPLOY_DIR": str(DEPLOY_DIR),
    }
    text = TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


class Nginx:
    """One nginx master with its own config, pid file and logs under `prefix`."""

    def __init__(self, prefix, config=None, **options):
        self.prefix = Path(prefix)
        self.config = config  # a whole config of one's own (bench's plain ceiling)
        self.options = options

    @property
    def pid_file(self):
        return self.prefix / "nginx.pid"

    def start(self, timeout=10):
        self.prefix.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            # Under root nginx's workers run as nobody, and they write a body over
            # 16 KB (or a long answer from gunicorn) into temporary folders nginx
            # makes for them here: they must be able to enter the prefix (but not
            # list it). Its files are for root alone.
            self.prefix.chmod(0o711)
        for name in ("error.log", "access.log"):
            (self.prefix / name).touch(mode=0o600)
        config = self.prefix / "nginx.conf"
        config.touch(mode=0o600)
        config.write_text(
            self.config.replace("@PREFIX@", str(self.prefix))
            if self.config
            else fill(prefix=self.prefix, **self.options)
        )
        subprocess.run(
            [NGINX, "-t", "-q", "-c", str(config), "-p", str(self.prefix)],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [NGINX, "-c", str(config), "-p", str(self.prefix)],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + timeout
        while not self.pid_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {self.error_log()}")
            time.sleep(0.05)
        return self

    def pid(self):
        try:
            return int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, timeout=10):
        """SIGQUIT to the master whose PID nginx wrote (a graceful stop)."""
        pid = self.pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGQUIT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    def error_log(self):
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--listen", default="127.0.0.1:8000")
    parser.add_argument("--upstream", default="127.0.0.1:8001")
    parser.add_argument("--publish-dir", default="publish")
    parser.add_argument("--static-root", default="staticfiles")
    parser.add_argument("--allowed-hosts", default="localhost,127.0.0.1")
    parser.add_argument("--allow-plain-http", action="store_true")
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument(
        "--real-ip-from",
        default=os.environ.get("NETGUIDE_REAL_IP_FROM", ""),
        help="comma-separated addresses or CIDRs of the proxies in front of nginx "
        "whose X-Forwarded-For is believed (default: $NETGUIDE_REAL_IP_FROM)",
    )
    args = parser.parse_args()
    nginx = Nginx(
        args.prefix,
        listen=args.listen,
        upstream=args.upstream,
        publish_dir=args.publish_dir,
        static_root=args.static_root,
        allowed_hosts=args.allowed_hosts.split(","),
        allow_plain_http=args.allow_plain_http,
        access_log=args.access_log,
        real_ip_from=[a.strip() for a in args.real_ip_from.split(",") if a.strip()],
    )
    if args.action == "start":
        nginx.start()
        print(f"nginx on {args.listen} (pid {nginx.pid()}), upstream {args.upstream}")
    else:
        nginx.stop()


if __name__ == "__main__":
    main()

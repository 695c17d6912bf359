"""Shared helpers for the production-readiness tests.

- TCPProxy: forwards to the real PostgreSQL or Redis; cut() / hang() / restore()
  simulate an outage (the services themselves are never touched).
- create_demo_database(): a fresh PostgreSQL database (unique name) with migrate,
  import_content and load_demo run in it by subprocesses; drop_database() removes it.
- GunicornServer: gunicorn with netguide/gunicorn.conf.py and a production environment
  on a free port, its log captured; Browser: cookies + CSRF over real HTTP.
- public_urls(): every public page, from the URL configuration.

Server tests need PostgreSQL and Redis: require_services() fails under CI=true and
skips elsewhere when either is unreachable.
"""

import http.client
import http.cookiejar
import os
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.html_forms import form_values

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PG_HOST, PG_PORT = "127.0.0.1", 5432
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
PG_ADMIN_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/postgres"
REDIS_DB = 0
DEMO_PASSWORD = "demo-password-not-secret"
PHONE_TEXT = "(888) 552-6760"


# Backing services -------------------------------------------------------------------


def redis_answers():
    """A real PING, not just an open port."""
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def postgres_answers():
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2) as connection:
            return connection.execute("SELECT 1").fetchone() == (1,)
    except Exception:
        return False


def require_services():
    """Server tests need PostgreSQL and Redis: fail under CI, skip elsewhere."""
    missing = []
    if not postgres_answers():
        missing.append(f"PostgreSQL at {PG_HOST}:{PG_PORT}")
    if not redis_answers():
        missing.append(f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    if missing:
        message = "not reachable: " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# A TCP proxy that can simulate an outage -------------------------------------------------


class TCPProxy:
    """Forwards 127.0.0.1:<port> to a target. cut() makes the target unreachable:
    the listening socket is closed (new connections are refused) and every open
    connection is closed (persistent connections break). restore() listens again
    on the same port."""

    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets = set()
        self._listener = None
        self._thread = None
        self.connections_made = 0
        self.hanging = False

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._thread = threading.Thread(
            target=self._accept, args=(listener,), daemon=True
        )
        self._thread.start()
        return self

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut() or close()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:  # cut meanwhile
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
                self.connections_made += 1
            threading.Thread(
                target=self._pump, args=(client, upstream), daemon=True
            ).start()

    def _pump(self, a, b):
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select():
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    if (
                        not self.hanging
                    ):  # a hung service: bytes go in, nothing comes back
                        key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for sock in (a, b):
                self._close(sock)

    def _close(self, sock):
        with self._lock:
            self._sockets.discard(sock)
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def cut(self):
        with self._lock:
            listener, self._listener = self._listener, None
            open_sockets = list(self._sockets)
        if listener is not None:
            try:
                listener.shutdown(
                    socket.SHUT_RDWR
                )  # wakes the thread blocked in accept()
            except OSError:
                pass
            listener.close()
        for sock in open_sockets:
            self._close(sock)
        if self._thread is not None:
            self._thread.join(timeout=5)
            assert not self._thread.is_alive(), "the proxy kept accepting connections"
            self._thread = None

    def hang(self, reset_open=False):
        """The service stops answering: connections are accepted, bytes go in, nothing
        comes back, so clients only notice through their own timeouts. With reset_open,
        the connections open now are reset first (a failover to a server that is not
        answering yet)."""
        self.hanging = True
        if reset_open:
            with self._lock:
                open_sockets = list(self._sockets)
            for sock in open_sockets:
                self._close(sock)

    def restore(self):
        if self.hanging:
            # Bytes were swallowed: the connections that lost them are reset.
            with self._lock:
                open_sockets = list(self._sockets)
            for sock in open_sockets:
                self._close(sock)
            self.hanging = False
        if self._listener is None:
            self.start()

    def close(self):
        self.cut()


# A fresh PostgreSQL database with the demo content ---------------------------------------


def server_environment(**overrides):
    """The current environment without anything that configures NET Guide or pytest."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "NETGUIDE_", "PYTEST", "GUNICORN_"))
        and name not in {"DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY", "CI_DEBUG"}
    }
    env["DJANGO_SETTINGS_MODULE"] = "netguide.settings"
    env.update({key: value for key, value in overrides.items() if value is not None})
    return env


def manage(*args, env, timeout=180):
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    return result


def database_url(name, host=PG_HOST, port=PG_PORT):
    return f"postgres://postgres@{host}:{port}/{name}"


def _admin_connection():
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)


def create_database(prefix="netguide_srv"):
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(name):
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(name, sql, params=()):
    """Read from a server database directly (the test's own look at the truth)."""
    import psycopg

    with psycopg.connect(database_url(name), connect_timeout=5) as connection:
        return connection.execute(sql, params).fetchall()


_template = {}
_template_lock = threading.Lock()


def demo_template_database():
    """Once per test session: a database with migrate + import_content + load_demo run
    in it by subprocesses, as scripts/serve does. Tests clone it (CREATE DATABASE ...
    TEMPLATE), which is fast; it is dropped when the session ends."""
    with _template_lock:
        if "name" not in _template:
            name = create_database("netguide_tmpl")
            try:
                env = server_environment(
                    DATABASE_URL=database_url(name),
                    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                )
                manage("migrate", "--noinput", "-v0", env=env)
                manage("import_content", "-v0", env=env)
                manage("load_demo", "-v0", env={**env, "DJANGO_DEBUG": "1"})
            except BaseException:
                drop_database(name)
                raise
            _template["name"] = name
            import atexit

            atexit.register(drop_database, name)
        return _template["name"]


def create_demo_database():
    """A fresh database (unique name) holding the imported, approved demo content.
    The caller drops it with drop_database()."""
    template = demo_template_database()
    name = f"netguide_srv_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop_template_database():
    with _template_lock:
        name = _template.pop("name", None)
    if name:
        drop_database(name)


def ensure_static_files():
    """gunicorn runs with the manifest static storage: collectstatic must be current
    (scripts/serve runs it too). Only runs when a source file is newer than the manifest."""
    import json

    manifest = ROOT / "staticfiles" / "staticfiles.json"
    source_dir = ROOT / "static"
    sources = [path for path in source_dir.rglob("*") if path.is_file()]
    if manifest.exists():
        listed = json.loads(manifest.read_text()).get("paths", {})
        current = all(
            path.relative_to(source_dir).as_posix() in listed
            and path.stat().st_mtime <= manifest.stat().st_mtime
            for path in sources
        )
        if current:
            return
    manage(
        "collectstatic",
        "--noinput",
        "-v0",
        env=server_environment(
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50), NETGUIDE_ALLOW_PLAIN_HTTP="1"
        ),
    )


# gunicorn -------------------------------------------------------------------------------


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return f"<Response {self.status} {dict(self.headers)}>"


class GunicornServer:
    """gunicorn with netguide/gunicorn.conf.py and a production environment, on a free port.
    Its stderr (gunicorn's and the app's log) goes to a file the test can read."""

    def __init__(self, database_url, redis_url, cache_prefix, workers=2, **env):
        self.port = free_port()
        self.env = server_environment(
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers),
            DJANGO_SECRET_KEY=env.pop("secret_key", None) or secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            NETGUIDE_ALLOW_PLAIN_HTTP="1",
            NETGUIDE_SITE_URL=f"http://127.0.0.1:{self.port}",
            DATABASE_URL=database_url,
            REDIS_URL=redis_url,
            NETGUIDE_CACHE_PREFIX=cache_prefix,
            **env,
        )
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="gunicorn-", suffix=".log", delete=False
        )
        self.final_log = None
        self.process = None

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            [GUNICORN, "netguide.wsgi", "-c", "netguide/gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends master and workers
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"gunicorn exited ({self.process.returncode}):\n{self.log()}"
                )
            try:
                if self.get("/healthz", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise AssertionError(
            f"gunicorn on port {self.port} did not become healthy:\n{self.log()}"
        )

    def terminate(self):
        """Ask gunicorn to stop (graceful); stop() waits for it."""
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def stop(self):
        if self.process is None:
            return
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.process = None
        self.final_log = self.log()
        self.log_file.close()
        Path(self.log_file.name).unlink(missing_ok=True)

    def log(self):
        if self.final_log is not None:
            return self.final_log
        return Path(self.log_file.name).read_text(errors="replace")

    def request(self, method, path, body=None, headers=None, timeout=10):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, path, headers=None, timeout=10):
        return self.request("GET", path, headers=headers, timeout=timeout)


def require_nginx():
    """nginx tests need Debian's nginx: fail under CI, skip elsewhere."""
    from deploy.nginx import NGINX

    if not Path(NGINX).exists():
        message = f"nginx is not installed ({NGINX}): apt-get install nginx-light"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


class NginxServer:
    """deploy/nginx.conf on a free port: a publish directory's files, and everything
    else passed to the gunicorn server on `upstream_port`. Stopped by its PID."""

    def __init__(self, publish_dir, upstream_port, allow_plain_http=True):
        from deploy.nginx import Nginx

        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
        self.nginx = Nginx(
            self.prefix,
            listen=f"127.0.0.1:{self.port}",
            upstream=f"127.0.0.1:{upstream_port}",
            publish_dir=publish_dir,
            static_root=ROOT / "staticfiles",
            allowed_hosts=["127.0.0.1", "localhost"],
            allow_plain_http=allow_plain_http,
        )

    base_url = GunicornServer.base_url
    request = GunicornServer.request
    get = GunicornServer.get

    def start(self):
        self.nginx.start()
        return self

    def stop(self):
        self.nginx.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)


def stop_all(*running):
    for server in running:
        server.terminate()
    for server in running:
        server.stop()


# A browser-like admin session over real HTTP ---------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Cookies and CSRF tokens over real HTTP, like a browser (but no JavaScript)."""

    def __init__(self, jar=None):
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def open(self, url, data=None):
        body = (
            urllib.parse.urlencode(data, doseq=True).encode()
            if data is not None
            else None
        )
        request = urllib.request.Request(url, data=body)
        if body is not None:
            request.add_header("Referer", url)
        try:
            with self.opener.open(request, timeout=15) as response:
                return Response(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.headers, error.read())

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)

    def login(self, base_url, username, password=DEMO_PASSWORD, admin_path="/admin/"):
        login_url = f"{base_url}{admin_path}login/?next={admin_path}"
        page = self.open(login_url)
        assert page.status == 200, page
        data = form_values(page.text, form_id="login-form")
        data.update(username=username, password=password)
        response = self.open(login_url, data)
        assert response.status == 302, (
            f"login as {username} failed: {response.status} {response.text[:2000]}"
        )
        return response


def cache_prefix(label):
    return f"netguide-test-{label}-{uuid.uuid4().hex[:12]}"


def delete_cache_prefix(prefix):
    """Remove every Redis key a test server wrote under its own prefix."""
    import redis

    client = redis.Redis(
        host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=5
    )
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}"


# The public pages, found from the URL configuration ---------------------------------------

# Public routes that take an argument: where their arguments come from.
PUBLIC_ROUTE_ARGUMENTS = {
    "treatments:treatment": ("treatments.models", "Treatment"),
    "treatments:side-effect": ("treatments.models", "SideEffect"),
}
# Query strings that make a public page show more than its empty form.
PUBLIC_QUERY_VARIANTS = {
    "treatments:search": ["?q=surgery", "?q=nausea+octreotide"],
    "treatments:explore": [
        "?origin=gi&grade=low&hormones=yes&extent=spread&liver=yes&surgery=no"
    ],
    "treatments:my-questions": ["?t=surgery&t=prrt"],
}
# The same in the Spanish edition (its slugs and words).
PUBLIC_QUERY_VARIANTS_ES = {
    "treatments:search": ["?q=cirugia", "?q=nauseas+octreotide"],
    "treatments:explore": PUBLIC_QUERY_VARIANTS["treatments:explore"],
    "treatments:my-questions": ["?t=cirugia&t=prrt"],
}


def public_routes():
    """(route name, has arguments) of every view marked @public_page (the page cache's list)."""
    from django.urls import URLPattern, URLResolver, get_resolver

    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = (
                    f"{namespace}{pattern.namespace}:"
                    if pattern.namespace
                    else namespace
                )
                walk(pattern.url_patterns, inner)
            elif (
                isinstance(pattern, URLPattern)
                and getattr(pattern.callback, "page_cache_kinds", None) is not None
            ):
                found.append(
                    (f"{namespace}{pattern.name}", bool(pattern.pattern.converters))
                )

    walk(get_resolver().url_patterns, "")
    return found


# The sitemap lists every language; crawlers read robots.txt at the root only.
ONE_ADDRESS_FOR_ALL = ("treatments:sitemap", "treatments:robots")


def public_urls(with_queries=True, languages=("en", "es")):
    """Every public page address in each language: each @public_page route, each
    published slug."""
    import importlib

    from django.urls import reverse
    from django.utils.translation import override

    urls = []
    for language in languages:
        variants = (
            PUBLIC_QUERY_VARIANTS_ES if language == "es" else PUBLIC_QUERY_VARIANTS
        )
        with override(language):
            for name, has_arguments in public_routes():
                if has_arguments:
                    if name not in PUBLIC_ROUTE_ARGUMENTS:
                        continue  # see test_security.test_every_public_route_is_covered
                    module, model_name = PUBLIC_ROUTE_ARGUMENTS[name]
                    model = getattr(importlib.import_module(module), model_name)
                    for record in model.objects.in_language(language).published():
                        urls.append(reverse(name, args=[record.public_slug]))
                else:
                    if language != "en" and name in ONE_ADDRESS_FOR_ALL:
                        continue
                    url = reverse(name)
                    urls.append(url)
                    if with_queries:
                        urls.extend(url + query for query in variants.get(name, []))
    return urls

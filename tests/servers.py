"""Shared helpers for the production-readiness tests.

- TCPProxy: forwards to the real PostgreSQL or Redis; cut() / hang() / restore()
  simulate an outage (the services themselves are never touched).
- create_demo_database(): a fresh PostgreSQL database (unique name) with migrate,
  import_content and load_demo run in it by subprocesses; drop_database() removes it.
- GunicornServer: gunicorn with netguide/gunicorn.conf.py and a production environment
  on a free port, its log captured; Browser: cookies + CSRF over real HTTP.
- WorkerProcess: `manage.py worker` beside a server, stopped or killed.
- SilentSMTPServer: a mail server that accepts connections and never answers;
  RefusingSMTPServer: a real SMTP server (aiosmtpd) that refuses, then accepts.
- DemoSite: all of the above a server test runs on, set up and taken down as one.

Server tests need PostgreSQL and Redis: require_services() fails under CI=true and
skips elsewhere when either is unreachable.
"""

import http.client
import http.cookiejar
import os
import re
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
from zoneinfo import ZoneInfo

import pytest

from .kit import csrf_token, form_values

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
        try:
            # A cut just after the accept may have closed them already.
            selector.register(a, selectors.EVENT_READ, b)
            selector.register(b, selectors.EVENT_READ, a)
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


# Set-up commands (migrate, load_demo: about 20 s) get a bound far above what they
# need, so that a machine slowed down by CI's other lanes does not fail them (one CI
# run: load_demo took over 180 s) while a hung one still ends.
SETUP_SECONDS = 900


def manage(*args, env, timeout=SETUP_SECONDS):
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
        if "failed" in _template:  # one failed build is enough: the others fail fast
            raise AssertionError(
                f"the demo database could not be built: {_template['failed']}"
            )
        if "name" not in _template:
            name = create_database("netguide_tmpl")
            try:
                env = server_environment(
                    DATABASE_URL=database_url(name),
                    DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                )
                # What `make serve` runs on an empty database.
                manage("migrate", "--noinput", "-v0", env=env)
                manage("load_demo", "-v0", env={**env, "NETGUIDE_DEMO": "1"})
            except BaseException as error:
                drop_database(name)
                _template["failed"] = f"{type(error).__name__}: {error}"
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
    import fcntl

    # CI's two server lanes start at once: one collectstatic at a time, the second
    # finds the files current.
    lock_path = (
        Path(tempfile.gettempdir()) / f"netguide-collectstatic-{os.getuid()}.lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        collect_static_files_if_stale()


def collect_static_files_if_stale():
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
    Its stderr (gunicorn's and the app's log) goes to a file the test can read.
    workers=None: gunicorn.conf.py's default for this machine."""

    def __init__(self, database_url, redis_url, cache_prefix, workers=2, **env):
        self.port = free_port()
        self.env = server_environment(
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            WEB_CONCURRENCY=str(workers) if workers else None,
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

    def start(self, timeout=120):
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


class WorkerProcess:
    """`manage.py worker` with a server's environment (its database, cache, publish
    directory and mail server), its output in a file; stopped as systemd would
    (SIGTERM, the task it runs is finished) or killed (SIGKILL, mid-task)."""

    # Half a second between polls of an empty queue (the default is one second).
    INTERVAL = "0.5"

    def __init__(self, env):
        self.env = dict(env)
        self.log_file = tempfile.NamedTemporaryFile(
            prefix="worker-", suffix=".log", delete=False
        )
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [PYTHON, "manage.py", "worker", "--interval", self.INTERVAL]
            + ["--no-startup-delay", "--no-reload"],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """Killed where it stands, as by the OOM killer or a lost machine."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def terminate(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self):
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None

    def log(self):
        return Path(self.log_file.name).read_text(errors="replace")

    def close(self):
        self.stop()
        self.log_file.close()
        Path(self.log_file.name).unlink(missing_ok=True)


def wait_for(condition, seconds, step=0.1):
    """Poll `condition` until it returns something true, or `seconds` pass: its
    last answer. For waiting on another process, not on a clock."""
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(step)


def tasks_finished(database, task_path, seconds=300):
    """Wait until the worker has no queued or running task at `task_path`: True if it
    got there within `seconds`. A build's length depends on the machine, so tests
    wait for the worker, then check what followed within a short, fixed time."""

    def idle():
        return not query(
            database,
            "SELECT 1 FROM django_tasks_database_dbtaskresult"
            " WHERE task_path = %s AND status IN ('READY', 'RUNNING')",
            (task_path,),
        )

    return wait_for(idle, seconds, step=0.2)


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
    else passed to the gunicorn server on `upstream_port`. Stopped by its PID.
    `options` are deploy/nginx.py's (access_log, real_ip_from...)."""

    def __init__(self, publish_dir, upstream_port, allow_plain_http=True, **options):
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
            **options,
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


class SilentSMTPServer:
    """Accepts connections and never says a word, like a hung mail server."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.held = []
        self.thread = threading.Thread(target=self.accept, daemon=True)
        self.thread.start()

    def accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.listener.close()
        for held in self.held:
            held.close()


class RefusingSMTPServer:
    """A real SMTP server (aiosmtpd) that refuses every message for now ("451: try
    again later") until `refusing` is set to False; keeps what it refused and what
    it accepted."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.refusing, self.refused, self.received = True, [], []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        message = envelope.content.decode("utf-8", "replace")
        if self.refusing:
            self.refused.append(message)
            return "451 4.3.0 Mail server busy, try again later"
        self.received.append(message)
        return "250 OK"

    def close(self):
        self.controller.stop()


def stop_all(*running):
    for server in running:
        server.terminate()
    for server in running:
        server.stop()


# The site a server test runs ---------------------------------------------------------


class DemoSite:
    """What a server test runs on: a fresh demo database, a Redis prefix of its own,
    with `proxies` TCP proxies to PostgreSQL and Redis the test can cut, and the
    servers it starts there. A context manager: leaving it stops the servers and
    removes the database, the proxies and the cached keys, whatever happened."""

    def __init__(self, label, proxies=False):
        self.label, self.proxies = label, proxies
        self.database = self.prefix = self.pg = self.redis = None
        self.gunicorns, self.nginxes, self.workers = [], [], []

    def __enter__(self):
        require_services()
        ensure_static_files()
        try:
            self.database = create_demo_database()
            self.prefix = cache_prefix(self.label)
            if self.proxies:
                self.pg = TCPProxy(PG_HOST, PG_PORT).start()
                self.redis = TCPProxy(REDIS_HOST, REDIS_PORT).start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def database_url(self):
        return database_url(self.database, port=self.pg.port if self.pg else PG_PORT)

    @property
    def redis_url(self):
        return f"redis://{self.redis.address}/{REDIS_DB}" if self.redis else REDIS_URL

    def gunicorn(self, **options):
        """A gunicorn on this site's database and cache (not started yet)."""
        server = GunicornServer(
            self.database_url, self.redis_url, self.prefix, **options
        )
        self.gunicorns.append(server)
        return server

    def worker(self, server):
        """A background worker with `server`'s environment (not started yet)."""
        worker = WorkerProcess(server.env)
        self.workers.append(worker)
        return worker

    def nginx(self, publish_dir, upstream, **options):
        """An nginx serving `publish_dir` in front of `upstream` (not started yet);
        `options` are NginxServer's."""
        server = NginxServer(publish_dir, upstream.port, **options)
        self.nginxes.append(server)
        return server

    def close(self):
        for worker in self.workers:
            worker.close()
        stop_all(*self.gunicorns)
        for server in self.nginxes:
            server.stop()
        for proxy in (self.pg, self.redis):
            if proxy is not None:
                proxy.close()
        if self.database is not None:
            drop_database(self.database)
        if self.prefix is not None:
            delete_cache_prefix(self.prefix)


# A browser-like admin session over real HTTP ---------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class _FromAddress(urllib.request.HTTPHandler):
    """Connects from a local address of its own (127.0.0.2 ... are all this machine):
    a patient with an address of their own, for a proxy in front to see."""

    def __init__(self, address):
        super().__init__()
        self.address = address

    def http_open(self, request):
        def connection(host, **options):
            return http.client.HTTPConnection(
                host, source_address=(self.address, 0), **options
            )

        return self.do_open(connection, request)


class Browser:
    """Cookies and CSRF tokens over real HTTP, like a browser (but no JavaScript);
    from `address` (a 127.x.y.z) when given."""

    def __init__(self, jar=None, address=None):
        self.jar = jar if jar is not None else http.cookiejar.CookieJar()
        handlers = [urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()]
        if address:
            handlers.append(_FromAddress(address))
        self.opener = urllib.request.build_opener(*handlers)

    def open(self, url, data=None, referer=None):
        """GET `url`, or POST `data` to it; `referer`: the page it was reached from
        (a form posts from its own page)."""
        body = (
            urllib.parse.urlencode(data, doseq=True).encode()
            if data is not None
            else None
        )
        request = urllib.request.Request(url, data=body)
        if referer or body is not None:
            request.add_header("Referer", referer or url)
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


# Editors and reviewers over real HTTP ------------------------------------------------


def signed_in(server, username):
    browser = Browser()
    browser.login(server.base_url, username)
    return browser


def admin_url(server, model, pk, view):
    return f"{server.base_url}/admin/treatments/{model}/{pk}/{view}/"


def save_change(server, editor, model, pk, **changes):
    """The editor saves the change form with `changes` (a new draft revision)."""
    change_url = admin_url(server, model, pk, "change")
    data = form_values(editor.open(change_url).text, f"{model}_form")
    data.update(changes, _save="Save")
    return editor.open(change_url, data)


def cached(server, path, tries=5, headers=None):
    """The answer from the page cache once `path` is asked for (with `headers`), or
    None. Under CI's load a store can outlast the cache's 0.25 s bound and not be
    kept (the page is then rendered again), so it is asked up to `tries` times."""
    for _ in range(tries):
        response = server.get(path, headers=headers)
        if response.headers.get("X-Page-Cache") == "hit":
            return response
    return None


def refusal(html):
    """What a page that did not go through says: its error lists, or its title."""
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    if errors:
        return [re.sub(r"<[^>]+>", " ", error).strip() for error in errors]
    title = re.search(r"<title>(.*?)</title>", html, re.S)
    return title.group(1).strip() if title else html[:300]


def review_url(server, model, pk):
    return admin_url(server, model, pk, "review")


def submit_change(server, editor, model, pk, **changes):
    """The editor saves the change form with `changes` and submits it for review."""
    saved = save_change(server, editor, model, pk, **changes)
    assert saved.status == 302, (model, pk, "save", saved.status, refusal(saved.text))
    submit_url = admin_url(server, model, pk, "submit")
    submitted = editor.open(
        submit_url,
        {
            "csrfmiddlewaretoken": csrf_token(editor.open(submit_url).text),
            "change_summary": "Clearer words.",
            "reading_level_reason": "Medical words are needed here.",
        },
    )
    assert submitted.status == 302, (model, pk, "submit")


def approve(server, reviewer, model, pk, page=None, go_live_at=None):
    """The reviewer approves what the review screen (`page`, fetched if not given)
    showed: now, or to go live at `go_live_at` (an aware datetime, sent in the
    site's time zone)."""
    page = page or reviewer.open(review_url(server, model, pk))
    decision = {"note": "", "decision": "approve"}
    if go_live_at is not None:
        local = go_live_at.astimezone(ZoneInfo("America/New_York"))
        decision.update(decision="schedule", go_live_at=f"{local:%Y-%m-%dT%H:%M:%S}")
    return reviewer.open(
        review_url(server, model, pk),
        {
            "csrfmiddlewaretoken": csrf_token(page.text),
            "content_hash": form_values(page.text)["content_hash"],
            **decision,
        },
    )


def read_until(server, path, text, seconds):
    deadline = time.monotonic() + seconds
    while True:
        response = server.get(path)
        if text in response.text or time.monotonic() > deadline:
            return response
        time.sleep(0.1)

"""deploy/nginx.conf in front of gunicorn (PostgreSQL, Redis), over real HTTP.

A second nginx stands for the TLS proxy in front of ours (plain HTTP here): patients
reach it from addresses of their own (127.0.0.11, 127.0.0.12, ... are all this
machine), so the client address is found through two real proxies. A third nginx
with the same configuration passes to a port where nothing listens: gunicorn away.
"""

import re
import shutil
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from . import servers
from .kit import PATIENT, form_target, form_values, leaked_values, parse_html, someone
from .servers import Browser, GunicornServer, NginxServer

pytestmark = [pytest.mark.server, pytest.mark.proxied]

FORM = "/appointments/request/"
QUEUE = "/admin/appointments/appointmentrequest/"

# The TLS proxy's part: it adds the address it was reached from to X-Forwarded-For.
FRONT_PROXY = """
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path @PREFIX@/client_body;
    proxy_temp_path @PREFIX@/proxy;
    server {
        listen 127.0.0.1:@PORT@;
        location / {
            proxy_pass http://127.0.0.1:@UPSTREAM@;
            proxy_buffering off;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }
    }
}
"""


class FrontProxy:
    def __init__(self, upstream_port):
        from deploy.nginx import Nginx

        self.port = servers.free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="nginx-front-"))
        config = FRONT_PROXY.replace("@PORT@", str(self.port))
        self.nginx = Nginx(
            self.prefix, config=config.replace("@UPSTREAM@", str(upstream_port))
        )

    base_url = GunicornServer.base_url
    start = NginxServer.start
    stop = NginxServer.stop


@pytest.fixture(scope="module")
def stack():
    """gunicorn (its access log on) -> PostgreSQL and Redis; nginx in front of it with
    the published files and its access log on, believing X-Forwarded-For from the
    front proxy only; the front proxy; an nginx whose gunicorn is away."""
    servers.require_nginx()
    publish_dir = Path(tempfile.mkdtemp(prefix="publish-nginx-"))
    publish_dir.chmod(0o755)  # nginx's workers (nobody, under root) read it
    try:
        with servers.DemoSite("nginx") as site:
            gunicorn = site.gunicorn(
                NETGUIDE_PUBLISH_DIR=str(publish_dir),
                DJANGO_EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                GUNICORN_ACCESS_LOG="-",
            )
            nginx = site.nginx(
                publish_dir, gunicorn, access_log=True, real_ip_from=["127.0.0.1"]
            )
            front = FrontProxy(nginx.port)
            away = NginxServer(publish_dir, servers.free_port(), access_log=True)
            try:
                gunicorn.start()
                servers.manage("publish_site", "-v0", env=gunicorn.env)
                for server in (nginx, front, away):
                    server.start()
                yield {
                    "gunicorn": gunicorn,
                    "nginx": nginx,
                    "front": front,
                    "away": away,
                    "publish_dir": publish_dir,
                    "database": site.database,
                }
            finally:
                for server in (front, away):
                    server.stop()  # one that never started: its folder goes too
    finally:
        shutil.rmtree(publish_dir, ignore_errors=True)


def send_request(server, address, data, forwarded=None):
    """A patient at `address` sends the form through `server`: the status."""
    patient = Browser(address=address)
    if forwarded:  # what the patient's own software claims
        patient.opener.addheaders = [("X-Forwarded-For", forwarded)]
    form = patient.open(server.base_url + FORM)
    assert form.status == 200, form
    return patient.open(server.base_url + FORM, {**form_values(form.text), **data})


# The client's address behind two proxies -----------------------------------------------


def test_patients_behind_two_proxies_each_have_their_own_limit(stack):
    """The client was the last X-Forwarded-For hop, which nginx set to the proxy in
    front of it: everyone shared one limit, and the fourth patient was refused."""
    front = stack["front"]
    statuses = [
        send_request(front, f"127.0.0.{11 + n}", someone(n)).status for n in range(5)
    ]
    assert statuses == [302] * 5
    # One address is still limited, whatever X-Forwarded-For it sends itself.
    statuses = [
        send_request(front, "127.0.0.30", someone(10 + n), f"10.9.9.{n}").status
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]


def sign_in(server, address, username, password):
    browser = Browser(address=address)
    url = f"{server.base_url}/admin/login/?next=/admin/"
    data = form_values(browser.open(url).text, form_id="login-form")
    data.update(username=username, password=password)
    return browser.open(url, data).status


def test_a_login_lockout_behind_two_proxies_holds_one_address_only(stack):
    """Six failed logins from one address locked everyone out: all came from nginx."""
    front = stack["front"]
    guesses = [
        sign_in(front, "127.0.0.40", f"nobody-{n}", "wrong password") for n in range(6)
    ]
    assert guesses == [200] * 5 + [429]
    assert sign_in(front, "127.0.0.40", "demo-reviewer", servers.DEMO_PASSWORD) == 429
    assert sign_in(front, "127.0.0.41", "demo-reviewer", servers.DEMO_PASSWORD) == 302


# Bodies nginx keeps in a temporary file --------------------------------------------------


def test_a_post_larger_than_16_kb_reaches_django(stack):
    """nginx writes a body over 16 KB to its temporary folder; as root its workers
    (nobody) could not enter the folder, and the patient got nginx's 500."""
    nginx = stack["nginx"]
    long_message = "I would like to talk about my options. " * 1000  # 39 KB
    response = send_request(nginx, "127.0.0.50", {**PATIENT, "message": long_message})
    assert response.status == 200, (response.status, nginx.nginx.error_log()[-2000:])
    assert "Please keep your message to 500 characters or fewer." in response.text
    assert "[crit]" not in nginx.nginx.error_log()


# Logs hold no patient data -------------------------------------------------------------


class RecordingBrowser(Browser):
    """A browser that remembers each request it sent: (method, url, body, referer)."""

    def __init__(self):
        super().__init__()
        self.sent = []

    def open(self, url, data=None, referer=None):
        body = urllib.parse.urlencode(data, doseq=True) if data is not None else None
        self.sent.append(("POST" if data is not None else "GET", url, body, referer))
        return super().open(url, data, referer)

    def follow(self, response, referer):
        """Where a redirect points, as a browser goes there."""
        while response.status in (301, 302, 303):
            url = urllib.parse.urljoin(referer, response.headers["Location"])
            response = self.open(url, referer=referer)
        return response


def submit(browser, page_url, page, form_id, **fields):
    """A form on `page` sent the way a browser sends it (its method, its action);
    (the address of the page reached, the page)."""
    method, action = form_target(page.text, form_id)
    url = urllib.parse.urljoin(page_url, action)
    data = {**form_values(page.text, form_id), **fields}
    if method == "post":
        answer = browser.open(url, data, referer=page_url)
    else:
        url = url.split("?")[0] + "?" + urllib.parse.urlencode(data, doseq=True)
        answer = browser.open(url, referer=page_url)
    final = browser.follow(answer, page_url)
    return browser.sent[-1][1], final


def nginx_logs(server):
    return "".join(
        (server.prefix / name).read_text(errors="replace")
        for name in ("access.log", "error.log")
        if (server.prefix / name).exists()
    )


def test_what_the_team_searches_for_never_reaches_nginxs_logs(stack):
    """A coordinator searches for a patient by name, phone and email through nginx
    and opens the request found; then does the same while gunicorn is away (nginx
    writes each failed request line and its Referer to error.log). Neither nginx
    logs a name, a phone number or an email address."""
    nginx, away = stack["nginx"], stack["away"]
    assert send_request(nginx, "127.0.0.60", PATIENT).status == 302
    coordinator = RecordingBrowser()
    coordinator.login(nginx.base_url, "demo-coordinator")
    coordinator.sent.clear()  # the login's body is not logged; start afresh
    queue_url = nginx.base_url + QUEUE
    for term in ("Zebulon Quaxworth", "(555) 234-5678", PATIENT["email"]):
        queue = coordinator.open(queue_url)
        results_url, results = submit(
            coordinator, queue_url, queue, "changelist-search", q=term
        )
        assert results.status == 200, term
        found = re.search(r"\b(\d+) appointment requests?\b", results.text)
        assert found and int(found.group(1)) >= 1, term
        link = urllib.parse.urljoin(
            results_url, link_starting(results.text, "Request #")
        )
        assert coordinator.open(link, referer=results_url).status == 200

    # The same steps again while gunicorn is away: every request nginx cannot pass
    # on is written to its error log with its Referer.
    for method, url, body, referer in coordinator.sent:
        path = urllib.parse.urlsplit(url)
        headers = {"Referer": referer} if referer else {}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = away.request(
            method,
            path.path + (f"?{path.query}" if path.query else ""),
            body=body,
            headers=headers,
        )
        assert answer.status == 503, (method, url)
    # An admin address typed by hand (an old bookmark), and a share link's token, in
    # the address and in the Referer: nginx's access log keeps neither.
    token = "t0ken-of-a-shared-preview"
    for path in (
        f"{QUEUE}?q=Quaxworth&status__exact=new",
        f"/preview/shared/{token}/",
        f"/es/preview/shared/{token}/",
    ):
        nginx.request("GET", path, headers={"Referer": nginx.base_url + path})
    # What patients type or answer travels in public addresses: none is logged.
    for path in (
        "/search/?q=Zorblaxine+flushing",
        "/explore/?origin=gi&hormones=yes",
        "/my-summary/?mine=Will+Quorvath+help",
    ):
        nginx.request("GET", path, headers={"Referer": nginx.base_url + path})

    # nginx writes a request's line once it has answered: the client may read the
    # answer a moment before the line is there.
    def logged():
        logs = nginx_logs(nginx)
        return '"GET /my-summary/ HTTP/1.1"' in logs and logs

    logs = servers.wait_for(logged, 5)
    assert logs and '"GET /search/ HTTP/1.1"' in logs, nginx_logs(nginx)[-3000:]
    assert "Zorblaxine" not in logs and "Quorvath" not in logs
    assert "hormones=yes" not in logs
    gunicorn_log = stack["gunicorn"].log()
    assert '"GET /search/ HTTP/1.1"' in gunicorn_log  # its access log is on too
    assert "Zorblaxine" not in gunicorn_log and "Quorvath" not in gunicorn_log
    assert f"GET {QUEUE}" in nginx_logs(nginx)  # both logs are on
    assert '"GET /preview/shared/-/ HTTP/1.1"' in nginx_logs(nginx)
    assert token not in nginx_logs(nginx)
    assert "connect() failed" in nginx_logs(away)
    for server in (nginx, away):
        assert leaked_values(nginx_logs(server)) == [], nginx_logs(server)[-3000:]


def link_starting(html, text):
    """The address of the first link whose text starts with `text`."""
    links = [a for a in parse_html(html).find_all("a") if a.text.startswith(text)]
    assert links, text
    return links[0].attrs["href"]


# Smaller things ------------------------------------------------------------------------

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
)


def test_plain_http_is_sent_to_the_configured_host_only(stack):
    """The redirect to HTTPS took the Host header as it came: `localhost:@evil.com`
    sent the browser to evil.com, in an answer shared caches could keep."""
    strict = NginxServer(
        stack["publish_dir"],
        stack["gunicorn"].port,
        allow_plain_http=False,
        site_url="https://netguide.example.org",
    ).start()
    try:
        for host in ("localhost:@evil.com", f"127.0.0.1:{strict.port}", "localhost"):
            answer = strict.get("/treatments/surgery/?a=1", headers={"Host": host})
            assert answer.status == 301, host
            assert answer.headers["Location"] == (
                "https://netguide.example.org/treatments/surgery/?a=1"
            ), host
            assert "public" not in answer.headers.get("Cache-Control", ""), host
            for name in SECURITY_HEADERS:
                assert answer.headers[name], (host, name)
    finally:
        strict.stop()


def test_nginxs_own_answers_carry_the_security_headers(stack):
    import socket

    nginx = stack["nginx"]
    answers = {
        "another host": nginx.get("/", headers={"Host": "evil.example"}),
        "a long address": nginx.get("/search/?q=" + "a" * 9000),
        "a long header": nginx.get("/", headers={"X-Long": "b" * 9000}),
    }
    with socket.create_connection(("127.0.0.1", nginx.port), timeout=5) as raw:
        raw.sendall(b"NOT A REQUEST\r\n\r\n")
        head = raw.recv(65536).decode("latin-1").split("\r\n\r\n")[0]
    assert answers["another host"].status == 400
    assert answers["a long address"].status == 414
    assert answers["a long header"].status == 400
    assert head.startswith("HTTP/1.1 400")
    for what, answer in answers.items():
        for name in SECURITY_HEADERS:
            assert answer.headers[name], (what, name)
    for name in SECURITY_HEADERS:
        assert f"\r\n{name}: " in head, name
    # Django's answers carry its own, once.
    dynamic = nginx.get("/search/?q=surgery")
    for name in SECURITY_HEADERS:
        assert len(dynamic.headers.get_all(name)) == 1, name


def test_any_two_letter_prefix_gets_the_calm_pages(stack):
    """Every /xx/ was taken for a language: an address under one that is not got
    nginx's plain 404 where the 503 or 404 page belongs."""
    nginx, away = stack["nginx"], stack["away"]
    for path in ("/zz/search/?q=a", "/zz/", "/en/x/", "/es/buscar/?q=a"):
        answer = away.get(path)
        assert answer.status == 503, path
        assert servers.PHONE_TEXT in answer.text, path
        assert answer.headers["Retry-After"] == "30"
    assert "Por favor, vuelva a intentarlo" in away.get("/es/buscar/?q=a").text
    assert "Please try again in a moment" in away.get("/zz/").text
    for path in ("/zz/index.html", "/zz/treatments/index.html"):
        answer = nginx.get(path)
        assert answer.status == 404, path
        assert "We could not find that page" in answer.text, path
        assert answer.headers["Content-Security-Policy"], path


def share_link(server, editor):
    """A preview link made on the share screen, as an editor makes one."""
    (surgery,) = servers.query(
        editor.database,
        "SELECT id FROM treatments_treatment WHERE slug = 'surgery' AND language = 'en'",
    )[0]
    share = f"{server.base_url}/admin/treatments/treatment/{surgery}/share/"
    page = editor.open(share)
    data = form_values(page.text, form_id=None)
    assert editor.open(share, data).status == 302
    token = re.search(r"/preview/shared/([^/\"]+)/", editor.open(share).text).group(1)
    return surgery, token


def test_previews_are_private_and_their_tokens_stay_out_of_the_logs(stack):
    nginx, gunicorn = stack["nginx"], stack["gunicorn"]
    editor = Browser()
    editor.login(nginx.base_url, "demo-editor")
    editor.database = stack["database"]
    surgery, token = share_link(nginx, editor)
    answers = {
        "draft": editor.open(f"{nginx.base_url}/preview/treatment/{surgery}/"),
        "shared": nginx.get(f"/preview/shared/{token}/"),
        "shared in Spanish": nginx.get(f"/es/preview/shared/{token}/"),
        "a link that is not": nginx.get("/preview/shared/not-a-token/"),
    }
    assert [a.status for a in answers.values()] == [200, 200, 200, 404]
    for what, answer in answers.items():
        cache_control = answer.headers.get("Cache-Control", "")
        assert "private" in cache_control and "no-store" in cache_control, what
        assert "public" not in cache_control, what
    # The link opened from the preview page: its token is in the Referer.
    nginx.get("/", headers={"Referer": f"{nginx.base_url}/preview/shared/{token}/"})
    nginx.get("/healthz")
    deadline = time.monotonic() + 10
    while "/healthz" not in gunicorn.log() and time.monotonic() < deadline:
        time.sleep(0.1)  # gunicorn writes its access line after the answer
    assert "/preview/shared/-/" in gunicorn.log()
    assert token not in gunicorn.log()
    assert token not in nginx_logs(nginx)

"""Published files through deploy/nginx.conf, over real HTTP.

gunicorn (production settings, PostgreSQL and Redis through proxies this test controls)
publishes into one directory and pushes each build to a second one; an nginx serves
each (the second stands for a CDN edge or another region). Checked: the same security
headers as Django, compressed copies, an approval read from both at once, and, last,
every published page served with gunicorn stopped and PostgreSQL and Redis cut.
"""

import gzip
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import brotli
import pytest

from tests.html_forms import form_values

from . import servers
from .servers import PHONE_TEXT, Browser, GunicornServer, NginxServer, TCPProxy

pytestmark = pytest.mark.server

NEW_SUMMARY = "An operation to take the tumor out, in words approved for the files."
# Headers that describe the bytes or the connection, not the page's protection.
TRANSPORT_HEADERS = {
    "date",
    "server",
    "connection",
    "content-length",
    "content-type",
    "etag",
    "last-modified",
    "accept-ranges",
    "vary",
    "x-page-cache",
}
SECURITY_HEADERS = [
    "Content-Security-Policy",
    "Strict-Transport-Security",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "Cross-Origin-Resource-Policy",
    "X-Frame-Options",
]
DYNAMIC_PATHS = [
    "/search/?q=fatigue",
    "/explore/",
    "/compare/?t=surgery&t=prrt",
    "/my-questions/?t=surgery",
    "/appointments/request/",
    "/admin/login/",
]


@pytest.fixture(scope="module")
def site():
    """gunicorn -> proxies -> PostgreSQL and Redis; nginx for the origin's files and
    nginx for the edge's copy, both passing the rest to gunicorn."""
    servers.require_services()
    servers.require_nginx()
    servers.ensure_static_files()
    database = servers.create_demo_database()
    prefix = servers.cache_prefix("static-site")
    origin_dir = Path(tempfile.mkdtemp(prefix="publish-origin-"))
    edge_dir = Path(tempfile.mkdtemp(prefix="publish-edge-"))
    for folder in (origin_dir, edge_dir):
        folder.chmod(0o755)  # nginx's workers (nobody, under root) read it
    pg = TCPProxy(servers.PG_HOST, servers.PG_PORT).start()
    redis = TCPProxy(servers.REDIS_HOST, servers.REDIS_PORT).start()
    gunicorn = GunicornServer(
        servers.database_url(database, port=pg.port),
        f"redis://{redis.address}/{servers.REDIS_DB}",
        prefix,
        NETGUIDE_PUBLISH_DIR=str(origin_dir),
        NETGUIDE_PUBLISH_MIRRORS=str(edge_dir),
        DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    origin = NginxServer(origin_dir, gunicorn.port)
    edge = NginxServer(edge_dir, gunicorn.port)
    try:
        gunicorn.start()
        servers.manage("publish_site", "-v0", env=gunicorn.env)
        origin.start()
        edge.start()
        yield {
            "gunicorn": gunicorn,
            "origin": origin,
            "edge": edge,
            "origin_dir": origin_dir,
            "pg": pg,
            "redis": redis,
            "database": database,
        }
    finally:
        servers.stop_all(gunicorn)
        origin.stop()
        edge.stop()
        pg.close()
        redis.close()
        servers.drop_database(database)
        servers.delete_cache_prefix(prefix)
        shutil.rmtree(origin_dir, ignore_errors=True)
        shutil.rmtree(edge_dir, ignore_errors=True)


def published_paths(publish_dir):
    """Every published address, from the manifest (error pages aside)."""
    import json

    manifest = json.loads((publish_dir / "current" / "manifest.json").read_text())
    return sorted(url for url in manifest["pages"] if url.startswith("/"))


def test_every_published_page_is_served_as_a_file_with_djangos_headers(site):
    gunicorn, origin = site["gunicorn"], site["origin"]
    paths = published_paths(site["origin_dir"])
    assert len(paths) == 58 and "/treatments/surgery/" in paths
    assert "/es/tratamientos/cirugia/" in paths  # 28 Spanish pages beside 30 English
    https = {"X-Forwarded-Proto": "https"}
    for path in paths:
        from_file = origin.get(path, headers=https)
        from_django = gunicorn.get(path, headers=https)
        assert (from_file.status, from_django.status) == (200, 200), path
        assert "X-Page-Cache" not in from_file.headers, f"{path} went to Django"
        assert from_file.body == from_django.body, path
        for name in SECURITY_HEADERS:
            assert from_django.headers[name], f"Django sent no {name} on {path}"
            assert from_file.headers[name] == from_django.headers[name], (path, name)
        # Header by header: whatever else Django sends, the file gets the same.
        djangos = {
            name.lower(): value
            for name, value in from_django.headers.items()
            if name.lower() not in TRANSPORT_HEADERS
        }
        files = {
            name.lower(): value
            for name, value in from_file.headers.items()
            if name.lower() not in TRANSPORT_HEADERS
        }
        assert files == djangos, path
        assert from_file.headers["ETag"] and from_file.headers["Last-Modified"]
        if "Last-Modified" in from_django.headers:  # the file's time is the page's
            assert (
                from_file.headers["Last-Modified"]
                == (from_django.headers["Last-Modified"])
            ), path
        if path.endswith("/"):
            assert from_file.headers["Content-Type"] == "text/html; charset=utf-8"
            assert from_django.headers["Content-Type"] == "text/html; charset=utf-8"


def test_plain_http_gets_no_hsts_from_either(site):
    for server in (site["origin"], site["gunicorn"]):
        assert "Strict-Transport-Security" not in server.get("/").headers


def test_nginx_redirects_plain_http_and_refuses_other_hosts_as_django_does(site):
    strict = NginxServer(site["origin_dir"], site["gunicorn"].port, False).start()
    try:
        plain = strict.get("/treatments/surgery/?utm_source=leaflet")
        assert plain.status == 301
        assert plain.headers["Location"] == (
            f"https://127.0.0.1:{strict.port}/treatments/surgery/?utm_source=leaflet"
        )
        behind_tls = strict.get("/", headers={"X-Forwarded-Proto": "https"})
        assert behind_tls.status == 200
        assert behind_tls.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
    finally:
        strict.stop()
    for server in (site["origin"], site["gunicorn"]):
        assert server.get("/", headers={"Host": "evil.example"}).status == 400


def test_published_pages_come_compressed_and_revisits_are_304s(site):
    origin = site["origin"]
    plain = origin.get("/treatments/surgery/")
    for encoding, unpack in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = origin.get(
            "/treatments/surgery/", headers={"Accept-Encoding": encoding}
        )
        assert response.headers["Content-Encoding"] == encoding
        assert response.headers["Vary"] == "Accept-Encoding"
        assert int(response.headers["Content-Length"]) == len(response.body)
        assert unpack(response.body) == plain.body
    assert len(brotli.compress(plain.body)) < len(plain.body) / 3
    again = origin.get(
        "/treatments/surgery/", headers={"If-None-Match": plain.headers["ETag"]}
    )
    assert again.status == 304
    assert plain.headers["Cache-Control"] == (
        "public, max-age=60, stale-while-revalidate=300"
    )


def test_dynamic_html_is_compressed_and_cache_hits_carry_their_length(site):
    gunicorn = site["gunicorn"]
    gunicorn.get("/search/?q=fatigue")
    hit = gunicorn.get("/search/?q=fatigue")
    assert hit.headers["X-Page-Cache"] == "hit"
    assert int(hit.headers["Content-Length"]) == len(hit.body)
    assert "Transfer-Encoding" not in hit.headers
    zipped = site["origin"].get(
        "/search/?q=fatigue", headers={"Accept-Encoding": "gzip"}
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == hit.body


def test_the_appointment_form_is_compressed_with_a_fresh_token_and_length_each_time(
    site,
):
    """BREACH: the CSRF token is masked anew for each response, and Django pads each
    compressed body by a random length, so compressed sizes reveal nothing."""
    gunicorn = site["gunicorn"]
    tokens, lengths = set(), set()
    for _ in range(8):
        response = gunicorn.get(
            "/appointments/request/", headers={"Accept-Encoding": "gzip"}
        )
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        html = gzip.decompress(response.body).decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        tokens.add(token.group(1))
        lengths.add(len(response.body))
    assert len(tokens) == 8
    assert len(lengths) > 1


def csrf_token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_an_approval_is_read_at_once_from_both_nginx_servers(site):
    origin, edge, gunicorn = site["origin"], site["edge"], site["gunicorn"]
    (surgery_id,) = servers.query(
        site["database"], "SELECT id FROM treatments_treatment WHERE slug = 'surgery'"
    )[0]
    for server in (origin, edge):
        assert NEW_SUMMARY not in server.get("/treatments/surgery/").text
    glossary_etag = origin.get("/glossary/").headers["ETag"]

    # Through the origin's nginx, as editors reach the admin.
    editor, reviewer = (
        signed_in(origin, "demo-editor"),
        signed_in(origin, "demo-reviewer"),
    )
    submit_change(origin, editor, "treatment", surgery_id, summary=NEW_SUMMARY)
    approved = approve(origin, reviewer, "treatment", surgery_id)
    assert approved.status == 302, gunicorn.log()[-3000:]

    # The build is switched before the approval answers; nginx keeps open files for
    # up to a second (open_file_cache_valid), so the new text is there within it.
    for server in (origin, edge):
        for path in ("/treatments/surgery/", "/"):
            response = read_until(server, path, NEW_SUMMARY, seconds=2)
            assert response.status == 200
            assert "X-Page-Cache" not in response.headers, "not served from a file"
            assert NEW_SUMMARY in response.text, (server.port, path)
    # A page that shows no treatment kept its file: the same ETag.
    assert origin.get("/glossary/").headers["ETag"] == glossary_etag
    assert "Publishing failed" not in gunicorn.log()


def test_two_approvals_at_once_are_both_published(site):
    """Two workers rebuild at the same moment, for two kinds: one waits for the
    other's build and starts from it, so neither change is lost."""
    origin, gunicorn = site["origin"], site["gunicorn"]
    database = site["database"]
    changes = {
        "sideeffect": (
            servers.query(
                database,
                "SELECT id FROM treatments_sideeffect"
                " WHERE slug = 'fatigue' AND language = 'en'",
            )[0][0],
            {"description": "Feeling very tired, approved at the same moment."},
            "/side-effects/fatigue/",
        ),
        "glossaryterm": (
            servers.query(
                database,
                "SELECT id FROM treatments_glossaryterm"
                " WHERE language = 'en' ORDER BY slug LIMIT 1",
            )[0][0],
            {"definition": "A plain meaning, approved at the same moment."},
            "/glossary/",
        ),
    }
    editor = signed_in(origin, "demo-editor")
    for model, (pk, fields, _) in changes.items():
        submit_change(origin, editor, model, pk, **fields)
    reviewers = {model: signed_in(origin, "demo-reviewer") for model in changes}
    review_pages = {
        model: reviewers[model].open(review_url(origin, model, pk))
        for model, (pk, _, _) in changes.items()
    }
    answers = {}

    def decide(model):
        answers[model] = approve(
            origin, reviewers[model], model, changes[model][0], review_pages[model]
        )

    threads = [threading.Thread(target=decide, args=(model,)) for model in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [answers[model].status for model in changes] == [302, 302], gunicorn.log()[
        -3000:
    ]

    time.sleep(1.5)  # nginx's open_file_cache_valid
    for model, (_, fields, path) in changes.items():
        (text,) = fields.values()
        page = origin.get(path)
        assert "X-Page-Cache" not in page.headers, path
        assert text in page.text, f"the {model} change was lost from the files"
    assert "Publishing failed" not in gunicorn.log()


def signed_in(server, username):
    browser = Browser()
    browser.login(server.base_url, username)
    return browser


def admin_url(server, model, pk, view):
    return f"{server.base_url}/admin/treatments/{model}/{pk}/{view}/"


def review_url(server, model, pk):
    return admin_url(server, model, pk, "review")


def submit_change(server, editor, model, pk, **changes):
    """The editor saves the change form with `changes` and submits it for review."""
    change_url = admin_url(server, model, pk, "change")
    data = form_values(editor.open(change_url).text, f"{model}_form")
    data.update(changes, _save="Save")
    assert editor.open(change_url, data).status == 302, (model, pk, "save")
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


def approve(server, reviewer, model, pk, page=None):
    """The reviewer approves what the review screen (`page`, fetched if not given) showed."""
    page = page or reviewer.open(review_url(server, model, pk))
    return reviewer.open(
        review_url(server, model, pk),
        {
            "csrfmiddlewaretoken": csrf_token(page.text),
            "content_hash": re.search(
                r'name="content_hash" value="([0-9a-f]{64})"', page.text
            ).group(1),
            "note": "",
            "decision": "approve",
        },
    )


def read_until(server, path, text, seconds):
    deadline = time.monotonic() + seconds
    while True:
        response = server.get(path)
        if text in response.text or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


def test_with_gunicorn_stopped_and_the_database_and_cache_cut_published_pages_answer(
    site,
):
    """Last in this module: it stops gunicorn."""
    origin, edge = site["origin"], site["edge"]
    paths = published_paths(site["origin_dir"])
    before = {path: origin.get(path).body for path in paths}
    site["gunicorn"].stop()
    site["pg"].cut()
    site["redis"].cut()
    for server in (origin, edge):
        for path in paths:
            response = server.get(path + "?utm_source=leaflet")
            assert response.status == 200, (server.port, path)
            assert response.body == before[path], (server.port, path)
        assert NEW_SUMMARY in server.get("/treatments/surgery/").text
        for path in DYNAMIC_PATHS:
            response = server.get(path)
            assert response.status == 503, (server.port, path, response.status)
            assert PHONE_TEXT in response.text
            assert "Please try again in a moment" in response.text
            assert response.headers["Retry-After"] == "30"
            assert response.headers["Cache-Control"] == "no-store"
            assert response.headers["Content-Security-Policy"]
        posted = server.request("POST", "/appointments/request/", body=b"name=A")
        assert posted.status == 503 and PHONE_TEXT in posted.text
        # A Spanish address gets the Spanish page.
        spanish = server.get("/es/buscar/?q=cirugia")
        assert spanish.status == 503 and PHONE_TEXT in spanish.text
        assert "Por favor, vuelva a intentarlo en un momento" in spanish.text

"""Published files through deploy/nginx.conf, over real HTTP.

gunicorn (production settings, PostgreSQL and Redis through proxies this test controls)
publishes into one directory and pushes each build to a second one; an nginx serves
each (the second stands for a CDN edge or another region). Checked: the same security
headers as Django, compressed copies, an approval read from both at once, and, last,
every published page served with gunicorn stopped and PostgreSQL and Redis cut.
"""

import fcntl
import gzip
import http.client
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import brotli
import pytest

from . import servers
from .kit import csrf_token
from .servers import (
    PHONE_TEXT,
    NginxServer,
    approve,
    read_until,
    review_url,
    signed_in,
    submit_change,
)

pytestmark = [pytest.mark.server, pytest.mark.proxied]

NEW_SUMMARY = "An operation to take the tumor out, in words approved for the files."
BUILD_TASK = "netguide.static_site.rebuild_published_files"
# The explorer's answer to one question, as its links write it (hormone therapy fits).
ANSWERED = "/explore/?hormones=yes"
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
def stack():
    """gunicorn -> proxies -> PostgreSQL and Redis; nginx for the origin's files and
    nginx for the edge's copy, both passing the rest to gunicorn."""
    servers.require_nginx()
    origin_dir = Path(tempfile.mkdtemp(prefix="publish-origin-"))
    edge_dir = Path(tempfile.mkdtemp(prefix="publish-edge-"))
    for folder in (origin_dir, edge_dir):
        folder.chmod(0o755)  # nginx's workers (nobody, under root) read it
    try:
        with servers.DemoSite("static-site", proxies=True) as demo:
            gunicorn = demo.gunicorn(
                NETGUIDE_PUBLISH_DIR=str(origin_dir),
                NETGUIDE_PUBLISH_MIRRORS=str(edge_dir),
                DJANGO_EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            )
            origin = demo.nginx(origin_dir, gunicorn)
            edge = demo.nginx(edge_dir, gunicorn)
            gunicorn.start()
            servers.manage("publish_site", "-v0", env=gunicorn.env)
            origin.start()
            edge.start()
            worker = demo.worker(gunicorn).start()
            yield {
                "worker": worker,
                "gunicorn": gunicorn,
                "origin": origin,
                "edge": edge,
                "origin_dir": origin_dir,
                "edge_dir": edge_dir,
                "pg": demo.pg,
                "redis": demo.redis,
                "database": demo.database,
            }
    finally:
        shutil.rmtree(origin_dir, ignore_errors=True)
        shutil.rmtree(edge_dir, ignore_errors=True)


def published_paths(publish_dir):
    """Every published address, from the manifest (error pages aside)."""
    import json

    manifest = json.loads((publish_dir / "current" / "manifest.json").read_text())
    return sorted(url for url in manifest["pages"] if url.startswith("/"))


def test_every_published_page_is_served_as_a_file_with_djangos_headers(stack):
    gunicorn, origin = stack["gunicorn"], stack["origin"]
    paths = published_paths(stack["origin_dir"])
    assert len(paths) == 60 and "/treatments/surgery/" in paths
    assert "/es/tratamientos/cirugia/" in paths  # 29 Spanish pages beside 31 English
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


def test_plain_http_gets_no_hsts_from_either(stack):
    for server in (stack["origin"], stack["gunicorn"]):
        assert "Strict-Transport-Security" not in server.get("/").headers


def test_nginx_redirects_plain_http_and_refuses_other_hosts_as_django_does(stack):
    strict = NginxServer(
        stack["origin_dir"],
        stack["gunicorn"].port,
        False,
        site_url="https://netguide.example.org",
    ).start()
    try:
        plain = strict.get("/treatments/surgery/?utm_source=leaflet")
        assert plain.status == 301
        assert plain.headers["Location"] == (
            "https://netguide.example.org/treatments/surgery/?utm_source=leaflet"
        )
        behind_tls = strict.get("/", headers={"X-Forwarded-Proto": "https"})
        assert behind_tls.status == 200
        assert behind_tls.headers["Strict-Transport-Security"] == (
            "max-age=31536000; includeSubDomains"
        )
    finally:
        strict.stop()
    for server in (stack["origin"], stack["gunicorn"]):
        assert server.get("/", headers={"Host": "evil.example"}).status == 400


def test_published_pages_come_compressed_and_revisits_are_304s(stack):
    origin = stack["origin"]
    plain = origin.get("/treatments/surgery/")
    for encoding, unpack in (("br", brotli.decompress), ("gzip", gzip.decompress)):
        response = origin.get(
            "/treatments/surgery/", headers={"Accept-Encoding": encoding}
        )
        assert response.headers["Content-Encoding"] == encoding, (
            dict(response.headers),
            sorted(
                p.name
                for p in (
                    stack["origin_dir"] / "current" / "site" / "treatments" / "surgery"
                ).iterdir()
            ),
            stack["worker"].log()[-2000:],
        )
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


def test_dynamic_html_is_compressed_and_cache_hits_carry_their_length(stack):
    gunicorn = stack["gunicorn"]
    gunicorn.get("/search/?q=fatigue")
    hit = gunicorn.get("/search/?q=fatigue")
    assert hit.headers["X-Page-Cache"] == "hit"
    assert int(hit.headers["Content-Length"]) == len(hit.body)
    assert "Transfer-Encoding" not in hit.headers
    zipped = stack["origin"].get(
        "/search/?q=fatigue", headers={"Accept-Encoding": "gzip"}
    )
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == hit.body


def test_the_appointment_form_is_compressed_with_a_fresh_token_and_length_each_time(
    stack,
):
    """BREACH: the CSRF token is masked anew for each response, and Django pads each
    compressed body by a random length, so compressed sizes reveal nothing."""
    gunicorn = stack["gunicorn"]
    tokens, lengths = set(), set()
    for _ in range(8):
        response = gunicorn.get(
            "/appointments/request/", headers={"Accept-Encoding": "gzip"}
        )
        assert response.status == 200
        assert response.headers["Content-Encoding"] == "gzip"
        html = gzip.decompress(response.body).decode()
        tokens.add(csrf_token(html))
        lengths.add(len(response.body))
    assert len(tokens) == 8
    assert len(lengths) > 1


def test_an_approval_answers_before_the_rebuild_and_the_files_follow(stack):
    origin, edge, gunicorn = stack["origin"], stack["edge"], stack["gunicorn"]
    (surgery_id,) = servers.query(
        stack["database"], "SELECT id FROM treatments_treatment WHERE slug = 'surgery'"
    )[0]
    for server in (origin, edge):
        assert NEW_SUMMARY not in server.get("/treatments/surgery/").text
    glossary_etag = origin.get("/glossary/").headers["ETag"]
    manifest = stack["origin_dir"] / "current" / "manifest.json"
    published = manifest.read_bytes()

    # Through the origin's nginx, as editors reach the admin.
    editor, reviewer = (
        signed_in(origin, "demo-editor"),
        signed_in(origin, "demo-reviewer"),
    )
    submit_change(origin, editor, "treatment", surgery_id, summary=NEW_SUMMARY)
    started = time.monotonic()
    approved = approve(origin, reviewer, "treatment", surgery_id)
    answered = time.monotonic() - started
    assert approved.status == 302, gunicorn.log()[-3000:]
    # It answered without building (a build takes a second or more): the build is
    # still queued or under way in the worker, the files as they were.
    build = servers.query(
        stack["database"],
        "SELECT status FROM django_tasks_database_dbtaskresult WHERE task_path = %s",
        (BUILD_TASK,),
    )
    assert build in ([("READY",)], [("RUNNING",)]), build
    assert manifest.resolve().read_bytes() == published
    # Django's own pages show the approval at once.
    assert NEW_SUMMARY in gunicorn.get("/treatments/surgery/").text

    # The worker builds them (its time depends on the machine); nginx keeps open
    # files for up to a second (open_file_cache_valid): within 3 s of the build's
    # end, both serve the new text.
    assert servers.tasks_finished(stack["database"], BUILD_TASK), stack["worker"].log()
    built = time.monotonic()
    for server in (origin, edge):
        for path in ("/treatments/surgery/", "/"):
            left = 3 - (time.monotonic() - built)
            response = read_until(server, path, NEW_SUMMARY, seconds=left)
            assert response.status == 200
            assert "X-Page-Cache" not in response.headers, "not served from a file"
            assert NEW_SUMMARY in response.text, (
                server.port,
                path,
                stack["worker"].log()[-3000:],
            )
    print(
        f"approval answered in {answered:.3f} s; the build ended {built - started:.3f} s"
        f" after it was sent, the files followed {time.monotonic() - built:.3f} s later"
    )
    # A page that shows no treatment kept its file: the same ETag.
    assert origin.get("/glossary/").headers["ETag"] == glossary_etag
    assert "Publishing failed" not in stack["worker"].log()


def test_two_approvals_at_once_are_both_published(stack):
    """Two approvals at the same moment, on two gunicorn workers, for two kinds:
    their builds are made together or one after the other, and neither change is
    lost."""
    origin, gunicorn = stack["origin"], stack["gunicorn"]
    database = stack["database"]
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
        # Each new sentence is a plain explanation (evidence is required, as live).
        marked = {name: f"{text} [[explains]]" for name, text in fields.items()}
        submit_change(origin, editor, model, pk, **marked)
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

    assert servers.tasks_finished(database, BUILD_TASK), stack["worker"].log()
    for model, (_, fields, path) in changes.items():
        (text,) = fields.values()
        page = read_until(origin, path, text, seconds=3)  # nginx's open-file cache
        assert "X-Page-Cache" not in page.headers, path
        assert text in page.text, f"the {model} change was lost from the files"
    assert "Publishing failed" not in stack["worker"].log()


def test_nginx_serves_nothing_check_does_not_list(stack):
    """A symbolic link in the published tree, or a folder whose name starts with a
    dot, was served by nginx while `publish_site --check` reported a match."""
    origin, origin_dir = stack["origin"], stack["origin_dir"]
    outside = Path(tempfile.mkdtemp(prefix="outside-"))
    outside.chmod(0o755)  # nginx's workers could read it
    (outside / "index.html").write_text("<p>Buy our cure</p>")
    (outside / "index.html").chmod(0o644)
    build_site = (origin_dir / "current").resolve() / "site"
    added = [build_site / "leak", build_site / "es" / ".x", build_site / ".secret.html"]
    added[0].symlink_to(outside)
    added[1].mkdir()
    (added[1] / "index.html").write_text("<p>Buy our cure</p>")
    added[2].write_text("<p>Buy our cure</p>")
    try:
        for path in ("/leak/index.html", "/leak/", "/es/.x/", "/.secret.html"):
            answer = origin.get(path)
            assert answer.status in (403, 404), (path, answer.status)
            assert "Buy our cure" not in answer.text, path
        checked = subprocess.run(
            [servers.PYTHON, "manage.py", "publish_site", "--check"],
            cwd=servers.ROOT,
            env=stack["gunicorn"].env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert checked.returncode == 1, checked.stdout
        for line in (
            "site/leak is a symbolic link, not a published file.",
            "site/es/.x/ is a folder with nothing published in it.",
            "site/.secret.html is published but not in the manifest.",
        ):
            assert line in checked.stderr.splitlines(), checked.stderr
    finally:
        added[0].unlink()
        shutil.rmtree(added[1])
        added[2].unlink()
        shutil.rmtree(outside)


def test_a_build_reaches_the_mirrors_before_the_next_build_starts(stack):
    """push() ran after the build lock was released: a slow copy to a mirror could
    switch it back to an older build after a newer one. The edge's lock, held here,
    stands for a slow copy; meanwhile the origin's build lock must stay taken."""
    origin_dir, edge_dir = stack["origin_dir"], stack["edge_dir"]
    before = (origin_dir / "current").resolve()
    with open(edge_dir / ".lock", "w") as edge_lock:
        fcntl.flock(edge_lock, fcntl.LOCK_EX)
        build = subprocess.Popen(
            [servers.PYTHON, "manage.py", "publish_site", "-v0"],
            cwd=servers.ROOT,
            env=stack["gunicorn"].env,
        )
        try:
            deadline = time.monotonic() + 120
            while (origin_dir / "current").resolve() == before:
                assert build.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            # Switched here, waiting to copy: no other build may start meanwhile.
            with open(origin_dir / ".lock") as probe:
                for _ in range(10):
                    try:
                        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        time.sleep(0.1)
                        continue
                    fcntl.flock(probe, fcntl.LOCK_UN)
                    pytest.fail("the build lock was free while the build was pushed")
        finally:
            fcntl.flock(edge_lock, fcntl.LOCK_UN)
            assert build.wait(120) == 0
    origin_build = (origin_dir / "current").resolve()
    assert origin_build != before
    assert (edge_dir / "current").resolve().name == origin_build.name


def test_a_page_asked_again_is_the_same_answer_until_an_approval_changes_it(stack):
    """Each gunicorn process answers a page it served before from its own copy
    (PageCopies), after checking the shared cache's versions: the copy sends what
    Django sent, and an approval reaches every process's next answer."""
    gunicorn, database = stack["gunicorn"], stack["database"]
    path = "/treatments/hormone-therapy/"
    asked = 6  # three times as many as gunicorn has worker processes

    def answer_as_sent(response):
        headers = {k: v for k, v in response.headers.items() if k.lower() != "date"}
        return response.status, headers, response.body

    hits = {}
    for variant, headers in (
        ("plain", {}),
        ("gzip", {"Accept-Encoding": "gzip"}),
        ("https", {"X-Forwarded-Proto": "https"}),
    ):
        first = servers.cached(gunicorn, path, headers=headers)
        assert first, variant
        for _ in range(asked):
            again = gunicorn.get(path, headers=headers)
            assert answer_as_sent(again) == answer_as_sent(first), variant
        head = gunicorn.request("HEAD", path, headers=headers)
        assert (head.status, head.body) == (200, b"")
        assert answer_as_sent(head)[1] == answer_as_sent(first)[1], variant
        etag = {"If-None-Match": first.headers["ETag"], **headers}
        assert gunicorn.get(path, headers=etag).status == 304, variant
        other = {"If-Match": '"another"', **headers}
        assert gunicorn.get(path, headers=other).status == 412, variant
        hits[variant] = first
    # A page that reads its query: its address as the site's links write it is
    # answered the same way every time (copied), other spellings as Django does.
    answered = servers.cached(gunicorn, ANSWERED)
    assert answered
    for _ in range(asked):
        assert answer_as_sent(gunicorn.get(ANSWERED)) == answer_as_sent(answered)
    for spelling in ("show=1&hormones=yes", "hormones=yes&utm_source=leaflet"):
        response = gunicorn.get(f"/explore/?{spelling}")
        assert response.body == answered.body, spelling
    # A form in another charset than UTF-8 is refused, copy or not.
    latin = {"Content-Type": "application/x-www-form-urlencoded; charset=latin-1"}
    assert gunicorn.get(path, headers=latin).status == 400
    # HEAD, then GET on the same connection: the HEAD answer sent no body that the
    # GET would read as its own answer.
    connection = http.client.HTTPConnection("127.0.0.1", gunicorn.port, timeout=10)
    try:
        for method in ("HEAD", "GET", "HEAD", "GET"):
            connection.request(method, path)
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200, method
            assert len(body) == (0 if method == "HEAD" else len(hits["plain"].body))
    finally:
        connection.close()
    # Each as sent to its own kind of request, none to the others.
    assert hits["gzip"].headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in hits["plain"].headers
    assert "Strict-Transport-Security" in hits["https"].headers
    assert "Strict-Transport-Security" not in hits["plain"].headers

    (pk,) = servers.query(
        database,
        "SELECT id FROM treatments_treatment"
        " WHERE slug = 'hormone-therapy' AND language = 'en'",
    )[0]
    words = "Medicines that calm the hormones a NET makes, in words approved now."
    submit_change(
        gunicorn, signed_in(gunicorn, "demo-editor"), "treatment", pk, summary=words
    )
    reviewer = signed_in(gunicorn, "demo-reviewer")
    assert approve(gunicorn, reviewer, "treatment", pk).status == 302
    # No process sends its old copy once the approval has answered: not of the page,
    # nor of the explorer's answer that shows its summary.
    for address, headers in (
        (path, {}),
        (path, {"Accept-Encoding": "gzip"}),
        (ANSWERED, {}),
    ):
        for _ in range(asked):
            response = gunicorn.get(address, headers=headers)
            body = response.body
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            assert words in body.decode(), (headers, response.headers["X-Page-Cache"])
    assert servers.tasks_finished(database, BUILD_TASK), stack["worker"].log()


def test_with_gunicorn_stopped_and_the_database_and_cache_cut_published_pages_answer(
    stack,
):
    """Last in this module: it stops gunicorn."""
    origin, edge = stack["origin"], stack["edge"]
    paths = published_paths(stack["origin_dir"])
    before = {path: origin.get(path).body for path in paths}
    stack["gunicorn"].stop()
    stack["pg"].cut()
    stack["redis"].cut()
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

"""Through the production stack (nginx with the published files in front of gunicorn,
PostgreSQL, Redis): what a draft says about a page's language or slug, an altered
page-cache entry and a second start of `make serve` change nothing patients see."""

import shutil
import tempfile
from pathlib import Path

import pytest

from . import servers
from .servers import save_change, signed_in

pytestmark = pytest.mark.server

POISON = "Altered in the cache, never approved."
POISON_SCRIPT = f"""
from django.core.cache import cache
from django.test import RequestFactory
from netguide import page_cache
request = RequestFactory().get("/privacy/")
view = page_cache.PageCacheMiddleware.public_view(request)
address = page_cache.page_address(request, "")
key = page_cache.page_key(address)
versions, _ = page_cache.lookup(key, view.page_cache_kinds())
cache.set(key, {{"address": address, "versions": versions, "content": b"<p>{POISON}</p>", "status": 200,
    "headers": {{"Content-Type": "text/html; charset=utf-8"}}}}, 3600)
"""


@pytest.fixture(scope="module")
def stack():
    servers.require_nginx()
    publish_dir = Path(tempfile.mkdtemp(prefix="publish-signed-"))
    publish_dir.chmod(0o755)  # nginx's workers (nobody, under root) read it
    try:
        with servers.DemoSite("signed-revision") as demo:
            gunicorn = demo.gunicorn(NETGUIDE_PUBLISH_DIR=str(publish_dir))
            nginx = demo.nginx(publish_dir, gunicorn)
            gunicorn.start()
            servers.manage("publish_site", "-v0", env=gunicorn.env)
            nginx.start()
            yield {"gunicorn": gunicorn, "nginx": nginx, "database": demo.database}
    finally:
        shutil.rmtree(publish_dir, ignore_errors=True)


def record_id(stack, table, language, slug):
    return servers.query(
        stack["database"],
        f"SELECT id FROM {table} WHERE language = %s AND slug = %s",
        (language, slug),
    )[0][0]


def publish(stack):
    servers.manage("publish_site", "-v0", env=stack["gunicorn"].env)


def test_a_drafts_language_and_slug_move_no_page(stack):
    gunicorn, nginx = stack["gunicorn"], stack["nginx"]
    editor = signed_in(gunicorn, "demo-editor")
    chemotherapy = record_id(stack, "treatments_treatment", "en", "chemotherapy")
    privacy = record_id(stack, "treatments_page", "en", "privacy")

    assert (
        save_change(gunicorn, editor, "treatment", chemotherapy, language="es").status
        == 302
    )
    assert (
        save_change(gunicorn, editor, "page", privacy, slug="privacy-notice").status
        == 302
    )
    publish(stack)

    for server in (gunicorn, nginx):
        assert server.get("/treatments/chemotherapy/").status == 200, server
        assert server.get("/es/tratamientos/chemotherapy/").status == 404, server
        assert server.get("/privacy/").status == 200, server
        assert server.get("/es/privacidad/").status == 200, server
    assert "X-Page-Cache" not in nginx.get("/es/privacidad/").headers  # a file


def test_the_published_files_never_take_a_cached_page(stack):
    gunicorn, nginx = stack["gunicorn"], stack["nginx"]
    servers.manage("shell", "-c", POISON_SCRIPT, env=gunicorn.env)
    # The cache does say it (asked under another of the site's host names, which no
    # server process has a copy of the page for).
    other_host = {"Host": f"localhost:{gunicorn.port}"}
    assert POISON in gunicorn.get("/privacy/", headers=other_host).text

    publish(stack)
    servers.manage("publish_site", "--check", "-v0", env=gunicorn.env)

    assert POISON not in nginx.get("/privacy/").text
    assert "Privacy" in nginx.get("/privacy/").text


def test_a_second_start_of_make_serve_keeps_the_editors_work(stack):
    """What scripts/serve runs at every start: load_demo, then the import."""
    gunicorn = stack["gunicorn"]
    editor = signed_in(gunicorn, "demo-editor")
    surgery = record_id(stack, "treatments_treatment", "en", "surgery")
    words = "An editor's summary, written in the admin."
    assert (
        save_change(gunicorn, editor, "treatment", surgery, summary=words).status == 302
    )
    approvals = "SELECT count(*) FROM treatments_auditentry WHERE action = 'approved'"
    before = servers.query(stack["database"], approvals)

    env = {**gunicorn.env, "NETGUIDE_DEMO": "1"}
    servers.manage("load_demo", "-v0", env=env)
    servers.manage("import_content", "--as", "demo-editor", "-v0", env=env)

    assert servers.query(stack["database"], approvals) == before
    assert servers.query(
        stack["database"],
        "SELECT summary FROM treatments_treatment WHERE id = %s",
        (surgery,),
    ) == [(words,)]

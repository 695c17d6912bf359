"""Published files (netguide/static_site.py): what an approval rebuilds, a failed
render that changes nothing, and `publish_site --check` catching a tampered file.

In-process on the suite's database; the files go to a temporary publish directory.
Serving them through nginx is tests/test_static_site_server.py.
"""

import gzip
import json

import brotli
import pytest
from django.core.management import CommandError, call_command
from django_tasks_db.models import DBTaskResult

from netguide import static_site
from treatments.models import GlossaryTerm, SideEffect

from .kit import REASON, publish, queued_tasks, run_tasks

pytestmark = pytest.mark.django_db

NEW_DESCRIPTION = "Feeling sick to your stomach, in newly approved words."


@pytest.fixture
def publish_dir(settings, tmp_path):
    settings.PUBLISH_DIR = str(tmp_path / "publish")
    return tmp_path / "publish"


def current(publish_dir):
    return (publish_dir / "current").resolve()


def files_of(build):
    """Every published file: its relative name and its inode (a hard link keeps it)."""
    return {
        path.relative_to(build).as_posix(): path.stat().st_ino
        for path in build.rglob("*")
        if path.is_file()
    }


def published_text(publish_dir, name):
    return (current(publish_dir) / name).read_text()


def test_publish_site_writes_every_public_page_with_compressed_copies(
    site, publish_dir, capsys
):
    call_command("publish_site")

    output = capsys.readouterr().out
    assert "/treatments/surgery/ -> site/treatments/surgery/index.html" in output
    # 32 English pages (with the sitemap, robots.txt and two error pages) and 30
    # Spanish ones (the sitemap and robots.txt are one for both languages).
    assert "Published: 64 pages rendered, 0 kept" in output
    build = current(publish_dir)
    for name in (
        "site/index.html",
        "site/treatments/surgery/index.html",
        "site/side-effects/index.html",
        "site/side-effects/nausea/index.html",
        "site/medical-and-editorial-policy/index.html",
        "site/privacy/index.html",
        "site/glossary/index.html",
        "site/sitemap.xml",
        "site/robots.txt",
        "errors/404.html",
        "errors/503.html",
        "site/es/index.html",
        "site/es/tratamientos/cirugia/index.html",
        "site/es/efectos-secundarios/nausea/index.html",
        "site/es/politica-medica-y-editorial/index.html",
        "site/es/glosario/index.html",
        "errors/es/404.html",
        "errors/es/503.html",
    ):
        body = (build / name).read_bytes()
        assert gzip.decompress((build / f"{name}.gz").read_bytes()) == body, name
        assert brotli.decompress((build / f"{name}.br").read_bytes()) == body, name
    # Dynamic pages stay with Django.
    for name in ("explore", "search", "compare", "my-questions", "admin", "preview"):
        assert not (build / "site" / name).exists(), name
    for name in ("opciones", "buscar", "comparar", "mis-preguntas", "sitemap.xml"):
        assert not (build / "site" / "es" / name).exists(), name
    assert "No pudimos encontrar esa página" in published_text(
        publish_dir, "errors/es/404.html"
    )
    assert "Si quiere hablar con alguien ahora, llámenos" in published_text(
        publish_dir, "errors/es/503.html"
    )
    assert "(888) 552-6760" in published_text(publish_dir, "errors/503.html")
    assert "We could not find that page" in published_text(
        publish_dir, "errors/404.html"
    )
    manifest = json.loads((build / "manifest.json").read_text())["pages"]
    assert manifest["/treatments/surgery/"]["kinds"] == [
        "treatments",
        "glossary",
        "site",
        "sources",
    ]


def test_an_approval_rebuilds_exactly_the_pages_showing_its_kind(
    site, publish_dir, editor, reviewer, django_capture_on_commit_callbacks
):
    static_site.publish()
    before = current(publish_dir)
    old_files = files_of(before)
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")

    with django_capture_on_commit_callbacks(execute=True):
        publish(nausea, editor, reviewer, description=NEW_DESCRIPTION)

    # The approval only queued the build: the worker makes it.
    assert current(publish_dir) == before and static_site.publishing()
    assert [row.task_name for row in run_tasks()] == ["rebuild_published_files"]
    assert not static_site.publishing()
    after = current(publish_dir)
    assert after != before, "no new build was switched to"
    new_files = files_of(after)
    assert new_files.keys() == old_files.keys()
    rebuilt = {name for name in new_files if new_files[name] != old_files[name]}
    assert rebuilt == {
        f"{page}{suffix}"
        for page in (
            "site/side-effects/index.html",
            "site/side-effects/nausea/index.html",
            # The Spanish page now says the English one was updated since.
            "site/es/efectos-secundarios/nausea/index.html",
            "manifest.json",
        )
        for suffix in (("",) if page == "manifest.json" else ("", ".gz", ".br"))
    }
    assert NEW_DESCRIPTION in published_text(
        publish_dir, "site/side-effects/nausea/index.html"
    )
    assert "La versión en inglés de esta página se actualizó" in published_text(
        publish_dir, "site/es/efectos-secundarios/nausea/index.html"
    )
    assert static_site.check() == []


def test_approvals_that_land_together_make_one_build(
    site, publish_dir, editor, reviewer, django_capture_on_commit_callbacks
):
    static_site.publish()
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    term = GlossaryTerm.objects.in_language("en").order_by("slug").first()
    with django_capture_on_commit_callbacks(execute=True):
        publish(nausea, editor, reviewer, description=NEW_DESCRIPTION)
    with django_capture_on_commit_callbacks(execute=True):
        publish(term, editor, reviewer, definition="A plain meaning, approved too.")
    assert queued_tasks() == ["rebuild_published_files"] * 2

    (build,) = run_tasks()  # the first takes the second's kinds with it

    assert build.return_value.startswith("53 pages rendered, 11 kept")
    done = DBTaskResult.objects.exclude(id=build.id).get()
    assert (done.status, done.return_value) == (
        "SUCCESSFUL",
        {"done_by": str(build.id)},
    )
    assert len(list((publish_dir / "builds").iterdir())) == 2
    assert NEW_DESCRIPTION in published_text(
        publish_dir, "site/side-effects/nausea/index.html"
    )
    assert "A plain meaning, approved too." in published_text(
        publish_dir, "site/glossary/index.html"
    )
    assert static_site.check() == []


def test_the_hourly_check_fails_on_a_tampered_file_and_repairs_it(site, publish_dir):
    static_site.publish()
    page = current(publish_dir) / "site" / "glossary" / "index.html"
    page.write_text("<p>Changed by hand</p>")

    (checked,) = run_tasks_of(static_site.check_published_files)
    assert checked.status == "FAILED"
    assert checked.traceback.splitlines()[-1] == (
        "netguide.static_site.PublishError: 1 difference(s) between the published "
        "files and the approved content, repaired by a fresh build. /glossary/: "
        "site/glossary/index.html differs from the manifest."
    )
    assert "Changed by hand" not in published_text(
        publish_dir, "site/glossary/index.html"
    )
    (checked,) = run_tasks_of(static_site.check_published_files)
    assert checked.return_value == "The published files match the approved content."


def run_tasks_of(task):
    task.enqueue()
    return run_tasks()


def test_only_the_pages_naming_a_kind_are_rendered_again(site, publish_dir):
    static_site.publish()

    outcome = static_site.publish({"side-effects"})

    slugs = SideEffect.objects.in_language("en").published_slugs()
    assert len(slugs) == 12
    assert outcome.rendered == [
        "/side-effects/",
        *(f"/side-effects/{slug}/" for slug in slugs),
        "/sitemap.xml",
        "/es/efectos-secundarios/",
        *(f"/es/efectos-secundarios/{slug}/" for slug in slugs),
    ]
    assert "/treatments/surgery/" in outcome.kept and "/" in outcome.kept
    assert "/es/tratamientos/cirugia/" in outcome.kept
    assert len(outcome.rendered) + len(outcome.kept) == 64


def test_a_failed_render_leaves_the_published_files_as_they_were(
    site,
    publish_dir,
    editor,
    reviewer,
    client,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    static_site.publish()
    before = current(publish_dir)
    old_files = files_of(before)
    old_page = published_text(publish_dir, "site/side-effects/nausea/index.html")
    # A template that cannot render: the side-effect page answers 500.
    broken = tmp_path / "broken-templates" / "treatments"
    broken.mkdir(parents=True)
    (broken / "side_effect_page.html").write_text("{% url 'no-such-page' %}")
    original_templates = settings.TEMPLATES
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [broken.parent, *settings.TEMPLATES[0]["DIRS"]],
        }
    ]
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    nausea.description = NEW_DESCRIPTION
    nausea.save()
    nausea.save_revision(editor)
    nausea.submit(editor, "A test change.", REASON)
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/treatments/sideeffect/{nausea.pk}/review/",
            {
                "decision": "approve",
                "note": "",
                "content_hash": nausea.latest_revision.content_hash,
            },
        )
    assert response.status_code == 302
    landing = client.get(response["Location"])  # the page the reviewer lands on
    shown = [str(message) for message in landing.context["messages"]]
    assert shown[0].endswith("approved and published.")
    assert shown[1].startswith("Publishing… the published files are being rebuilt")
    ran = {row.task_name: row for row in run_tasks()}  # the build, the editor's email
    build = ran["rebuild_published_files"]  # the worker's try fails, and says why
    assert build.status == "FAILED"
    assert build.traceback.splitlines()[-1] == (
        "netguide.static_site.PublishError: /side-effects/bloating/ could not be "
        "rendered (it answered 500, not 200)."
    )
    response = client.get(response["Location"])  # the reviewer looks again

    shown = [str(message) for message in response.context["messages"]]
    assert shown[0] == (
        "The published files could not be rebuilt, so they still show the previous "
        "version: /side-effects/bloating/ could not be rendered (it answered 500, not "
        "200). "
        "Nothing was half-written. Please tell the site's maintainer "
        "(manage.py publish_site)."
    )
    assert current(publish_dir) == before
    assert files_of(before) == old_files
    assert (
        published_text(publish_dir, "site/side-effects/nausea/index.html") == old_page
    )
    assert [p.name for p in (publish_dir / "builds").iterdir()] == [before.name], (
        "the half-built tree was left behind"
    )
    assert static_site.failure() == (
        "/side-effects/bloating/ could not be rendered (it answered 500, not 200)."
    )
    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("publish_site", verbosity=0)
    assert current(publish_dir) == before

    # Fixed: the next build, whatever its kind, renders everything the failure left.
    settings.TEMPLATES = original_templates
    static_site.publish({"glossary"})
    assert static_site.failure() is None
    assert NEW_DESCRIPTION in published_text(
        publish_dir, "site/side-effects/nausea/index.html"
    )


def test_check_passes_on_a_fresh_build_and_catches_a_tampered_file(
    site, publish_dir, capsys
):
    static_site.publish()
    call_command("publish_site", "--check")
    assert "match the approved content" in capsys.readouterr().out

    page = current(publish_dir) / "site/treatments/surgery/index.html"
    page.write_text(page.read_text().replace("Surgery", "Surgery cures everyone"))
    with pytest.raises(CommandError) as failed:
        call_command("publish_site", "--check")
    assert failed.value.returncode == 1
    assert capsys.readouterr().err.splitlines() == [
        "/treatments/surgery/: site/treatments/surgery/index.html differs from the manifest."
    ]
    # A compressed copy nginx would send instead is checked on its own.
    copy = current(publish_dir) / "site/glossary/index.html.gz"
    copy.write_bytes(gzip.compress(b"<p>Stop your treatment</p>"))
    with pytest.raises(CommandError):
        call_command("publish_site", "--check")
    assert "/glossary/: site/glossary/index.html.gz does not match." in (
        capsys.readouterr().err.splitlines()
    )


def test_check_catches_an_added_file_and_an_approval_that_was_not_published(
    site, publish_dir, editor, reviewer, capsys
):
    static_site.publish()
    (current(publish_dir) / "site" / "offer.html").write_text("<p>Buy now</p>")
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    publish(nausea, editor, reviewer, description=NEW_DESCRIPTION)  # never committed

    with pytest.raises(CommandError):
        call_command("publish_site", "--check")

    assert capsys.readouterr().err.splitlines() == [
        "site/offer.html is published but not in the manifest.",
        "/side-effects/: the published file is not the approved page.",
        "/side-effects/nausea/: the published file is not the approved page.",
        "/es/efectos-secundarios/nausea/: the published file is not the approved page.",
    ]


def test_check_reports_every_entry_that_is_not_a_listed_file(
    site, publish_dir, tmp_path, capsys
):
    """nginx serves through a symbolic link, and from a folder whose name starts with
    a dot: --check looked at regular files only, and said all was well."""
    static_site.publish()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "index.html").write_text("<p>Buy our cure</p>")
    site_dir = current(publish_dir) / "site"
    (site_dir / "leak").symlink_to(outside)
    (site_dir / "privacy" / "old.html").symlink_to(outside / "index.html")
    (site_dir / "es" / ".x").mkdir()
    (site_dir / "es" / ".x" / "index.html").write_text("<p>Buy our cure</p>")
    (site_dir / "empty").mkdir()
    (current(publish_dir) / "errors" / ".503.html.swp").write_text("")

    with pytest.raises(CommandError):
        call_command("publish_site", "--check")
    assert sorted(capsys.readouterr().err.splitlines()) == [
        "errors/.503.html.swp is published but not in the manifest.",
        "site/empty/ is a folder with nothing published in it.",
        "site/es/.x/ is a folder with nothing published in it.",
        "site/es/.x/index.html is published but not in the manifest.",
        "site/leak is a symbolic link, not a published file.",
        "site/privacy/old.html is a symbolic link, not a published file.",
    ]


def test_check_checks_every_mirror(site, publish_dir, settings, tmp_path, capsys):
    edge, other = tmp_path / "edge", tmp_path / "other"
    settings.PUBLISH_MIRRORS = [str(edge), str(other)]
    static_site.publish()
    call_command("publish_site", "--check")
    assert "match the approved content" in capsys.readouterr().out

    page = current(edge) / "site/treatments/surgery/index.html"
    page.write_text("<p>Surgery cures everyone</p>")
    (current(edge) / "site" / "offer.html").write_text("<p>Buy now</p>")
    (current(other) / "site" / ".well").mkdir()
    (other / "current").unlink()
    with pytest.raises(CommandError):
        call_command("publish_site", "--check")
    assert capsys.readouterr().err.splitlines() == [
        f"{edge}: /treatments/surgery/: site/treatments/surgery/index.html differs "
        "from the manifest.",
        f"{edge}: site/offer.html is published but not in the manifest.",
        f"{other}: nothing is published here.",
    ]


def test_publish_site_says_what_to_set_when_there_is_no_publish_directory(
    site, settings
):
    settings.PUBLISH_DIR = ""
    with pytest.raises(CommandError, match="Set NETGUIDE_PUBLISH_DIR"):
        call_command("publish_site")


def test_dry_run_lists_the_pages_and_writes_nothing(site, publish_dir, capsys):
    call_command("publish_site", "--dry-run")

    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        "/ -> site/index.html",
        "/treatments/active-surveillance/ -> site/treatments/active-surveillance/index.html",
    ]
    assert lines[29:33] == [
        "/sitemap.xml -> site/sitemap.xml",
        "/robots.txt -> site/robots.txt",
        "404 -> errors/404.html",
        "503 -> errors/503.html",
    ]
    assert lines[33] == "/es/ -> site/es/index.html"
    assert lines[-2:] == [
        "es/404 -> errors/es/404.html",
        "es/503 -> errors/es/503.html",
    ]
    assert len(lines) == 64
    assert "/about-this-guide/ -> site/about-this-guide/index.html" in lines
    assert not publish_dir.exists()


def test_each_build_is_copied_to_the_mirrors_and_a_failed_copy_is_reported(
    site, publish_dir, settings, tmp_path
):
    edge = tmp_path / "edge"
    settings.PUBLISH_MIRRORS = [str(edge)]
    outcome = static_site.publish()
    assert (edge / "current").resolve().name == outcome.build.name
    assert files_of(edge / "current").keys() == files_of(current(publish_dir)).keys()

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    settings.PUBLISH_MIRRORS = [str(edge), str(blocked)]
    with pytest.raises(static_site.PublishError):
        static_site.publish({"glossary"})
    assert (edge / "current").resolve().name == current(publish_dir).name
    assert static_site.failure().startswith(
        f"Published here, but not copied to {blocked}:"
    )


def test_nginx_sends_the_hsts_the_settings_give():
    from deploy.nginx import hsts

    assert hsts({}) == "max-age=31536000; includeSubDomains"
    assert hsts({"DJANGO_HSTS_SECONDS": "600", "DJANGO_HSTS_PRELOAD": "1"}) == (
        "max-age=600; includeSubDomains; preload"
    )
    assert hsts({"DJANGO_HSTS_SECONDS": "0"}) == ""


def test_nginx_sends_plain_http_to_the_configured_host():
    from deploy.nginx import redirect_host

    hosts = ["127.0.0.1", "localhost"]
    assert redirect_host("https://netguide.example.org/", hosts) == (
        "netguide.example.org"
    )
    assert redirect_host("https://netguide.example.org:8443", hosts) == (
        "netguide.example.org:8443"
    )
    assert redirect_host("http://127.0.0.1:8000", hosts) == "127.0.0.1"
    assert redirect_host("https://[::1]:8443", hosts) == "[::1]:8443"
    assert redirect_host("", [".example.org", "www.example.org"]) == "example.org"

"""`make run` and `make serve` never rewrite real work: the demo data goes into an
empty database once, an import never overwrites what was edited in the admin and is
made in the name of whoever ran it, and nothing writes an approval a person did not
give."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from editorial.models import Action, AuditEntry, ReviewState, Step
from treatments.models import Drug, Treatment

from .kit import CONTENT_DIR, edit, import_content, make_user, submit

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]

DEMO_PASSWORD = "demo-password-not-secret"


def run(command, *args, **options):
    out = StringIO()
    call_command(command, *args, stdout=out, **options)
    return out.getvalue()


def approvals():
    return AuditEntry.objects.filter(action=Action.APPROVED).count()


@pytest.fixture
def demo(settings):
    """`make serve`'s first start: the demo loaded into an empty database."""
    settings.DEBUG, settings.DEMO = False, True
    output = run("load_demo")
    assert "Demo approvals:" in output
    return get_user_model().objects.get(username="demo-editor")


def test_a_second_start_rewrites_nothing_and_approves_nothing(demo, settings):
    users = get_user_model().objects
    editor = make_user("real-editor", "Editors")
    reviewer = users.get(username="demo-reviewer")
    chemotherapy = Treatment.objects.get(language="en", slug="chemotherapy")
    edit(chemotherapy, editor, summary="An editor's better summary, not in the files.")
    edited = chemotherapy.latest_revision
    surgery = Treatment.objects.get(language="en", slug="surgery")
    edit(surgery, editor, summary="A wrong and dangerous summary.")
    submit(surgery, editor, "Wrong words.")
    surgery.request_changes(
        reviewer, surgery.latest_revision.content_hash, "Wrong and dangerous."
    )
    admin = users.get(username="demo-admin")
    admin.set_password("a-password-of-their-own")
    admin.save()
    before = approvals()

    # What `make run` and `make serve` run again at every start.
    again = run("load_demo")
    imported = import_content(users.get(username="demo-editor"), verbosity=1)

    assert "already here: nothing was changed" in again
    assert approvals() == before
    chemotherapy.refresh_from_db()
    assert chemotherapy.latest_revision == edited
    assert chemotherapy.summary == "An editor's better summary, not in the files."
    surgery.refresh_from_db()
    assert surgery.review_state == ReviewState.CHANGES_REQUESTED
    assert surgery.live_revision.snapshot["summary"] != "A wrong and dangerous summary."
    admin.refresh_from_db()
    assert admin.check_password("a-password-of-their-own")
    assert not admin.check_password(DEMO_PASSWORD)
    changes = chemotherapy.published_content().changes
    assert len(changes) == 1  # the demo's one approval, nothing since
    assert "2 not imported" in imported
    assert "chemotherapy" in imported and "surgery" in imported


def test_the_demo_goes_only_into_an_empty_database(settings):
    settings.DEBUG = True
    make_user("someone-real")
    output = run("load_demo")
    assert "only ever loaded into an empty one" in output
    assert not get_user_model().objects.filter(username="demo-admin").exists()
    assert not Treatment.objects.exists()


def test_the_demo_needs_debug_or_a_demo_stack(settings):
    settings.DEBUG, settings.DEMO = False, False
    with pytest.raises(CommandError, match="never in production"):
        run("load_demo")
    assert not get_user_model().objects.exists()


def test_an_import_is_made_in_the_name_of_who_ran_it(site):
    editor, reviewer = site
    with pytest.raises(CommandError, match="--as"):
        call_command("import_content", str(CONTENT_DIR))
    with pytest.raises(CommandError, match="no account 'nobody'"):
        call_command("import_content", str(CONTENT_DIR), username="nobody")

    importer = make_user("importer", "Editors")
    chemotherapy = Treatment.objects.get(language="en", slug="chemotherapy")
    edit(chemotherapy, editor, summary="Changed in the admin, not in the files.")
    report = import_content(importer, verbosity=1)
    # The editor's change came from the admin: the file does not overwrite it.
    assert "1 not imported" in report and "chemotherapy" in report
    chemotherapy.refresh_from_db()
    assert chemotherapy.summary == "Changed in the admin, not in the files."

    hormone = Treatment.objects.get(language="en", slug="hormone-therapy")
    assert hormone.latest_revision == hormone.live_revision  # nothing new to bring


def test_a_file_change_comes_in_as_the_importers_draft_they_cannot_approve(
    site, content_copy
):
    editor, reviewer = site
    # An editor who also reviews.
    importer = make_user("importer", "Editors")
    importer.groups.add(*reviewer.groups.all())
    path = content_copy / "treatments" / "05-hormone-therapy.md"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'title = "Hormone therapy"', 'title = "Hormone therapy (updated)"'
        ),
        encoding="utf-8",
    )
    import_content(importer, content_copy)
    hormone = Treatment.objects.get(language="en", slug="hormone-therapy")
    draft = hormone.latest_revision
    assert draft != hormone.live_revision and draft.author == importer
    assert hormone.audit_entries().filter(action=Action.IMPORTED, revision=draft)
    submit(hormone, editor, "Clearer title.")
    assert Step.APPROVE not in hormone.available_steps(importer)


def test_a_drug_changed_through_its_pages_is_not_overwritten(site):
    editor, _reviewer = site
    octreotide = Drug.objects.get(language="en", slug="octreotide")
    octreotide.description = "An editor's own words about octreotide."
    octreotide.save()
    octreotide.redraft_pages_showing(editor)

    report = import_content(editor, verbosity=1)

    octreotide.refresh_from_db()
    assert octreotide.description == "An editor's own words about octreotide."
    assert "octreotide" in report and "not imported" in report

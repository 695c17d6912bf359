"""Who may do what in the review workflow, checked over HTTP and in the database."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from editorial.models import Action, AuditEntry, ReviewState, Revision
from treatments.models import Treatment

from .kit import (
    admin_url,
    edit,
    form_values,
    logged_in,
    make_dual_role,
    make_treatment,
    submit,
)

ACTORS = ["anonymous", "editor", "reviewer", "superuser"]
DRAFT_WORDS = "You get a scan now and then."


# Helpers ------------------------------------------------------------------------------


@pytest.fixture
def actors(editor, reviewer, superuser):
    """A logged-in client per role; none of these users wrote the page."""
    return {
        "anonymous": Client(),
        "editor": logged_in(editor),
        "reviewer": logged_in(reviewer),
        "superuser": logged_in(superuser),
    }


@pytest.fixture
def draft(second_editor):
    """A page written by an editor who is not among the actors."""
    return make_treatment(second_editor)


@pytest.fixture
def submitted(draft, second_editor):
    submit(draft, second_editor)
    return draft


def state_of(record):
    """What a permission check must protect, as stored."""
    record = Treatment.objects.get(pk=record.pk)
    return {
        "body": record.body,
        "review_state": record.review_state,
        "revisions": record.revisions().count(),
        "live_revision": record.live_revision_id,
        "audit": list(
            record.audit_entries().order_by("pk").values_list("action", flat=True)
        ),
    }


def is_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith(
        reverse("admin:login")
    )


def change_form_data(record, superuser):
    """A valid change form POST for the page, read from the form a superuser sees."""
    response = logged_in(superuser).get(admin_url(record, "change"))
    assert response.status_code == 200
    return form_values(response.content.decode(), "treatment_form")


# The matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "actor, status",
    [("anonymous", "login"), ("editor", 200), ("reviewer", 200), ("superuser", 200)],
)
def test_viewing_a_draft_preview(db, actors, draft, actor, status):
    before = state_of(draft)
    response = actors[actor].get(
        reverse("editorial:draft-preview", args=["treatment", draft.pk])
    )

    if status == "login":
        assert is_login_redirect(response)
        assert DRAFT_WORDS not in response.content.decode()
    else:
        assert response.status_code == 200
        assert DRAFT_WORDS in response.content.decode()
        assert "Draft — not yet medically reviewed" in response.content.decode()
    assert state_of(draft) == before


@pytest.mark.parametrize(
    "actor, status, saved",
    [
        ("anonymous", "login", False),
        ("editor", 302, True),
        ("reviewer", 403, False),
        ("superuser", 302, True),
    ],
)
def test_editing_a_page(db, actors, draft, superuser, actor, status, saved):
    data = change_form_data(draft, superuser)
    before = state_of(draft)

    response = actors[actor].post(
        admin_url(draft, "change"),
        {**data, "body": "Changed by someone.", "_save": "Save"},
    )

    assert (
        is_login_redirect(response)
        if status == "login"
        else response.status_code == status
    )
    after = state_of(draft)
    if saved:
        assert after["body"] == "Changed by someone."
        assert after["revisions"] == 2 and after["review_state"] == ReviewState.DRAFT
        latest = Treatment.objects.get(pk=draft.pk).latest_revision
        assert latest.author.username == ("editor" if actor == "editor" else "root")
    else:
        assert after == before


@pytest.mark.parametrize(
    "actor, status, state",
    [
        ("anonymous", "login", ReviewState.DRAFT),
        ("editor", 302, ReviewState.SUBMITTED),
        ("reviewer", 403, ReviewState.DRAFT),
        ("superuser", 302, ReviewState.SUBMITTED),
    ],
)
def test_submitting_a_page_for_review(db, actors, draft, actor, status, state):
    response = actors[actor].post(
        admin_url(draft, "submit"), {"change_summary": "First version of this page."}
    )

    assert (
        is_login_redirect(response)
        if status == "login"
        else response.status_code == status
    )
    record = Treatment.objects.get(pk=draft.pk)
    assert record.review_state == state
    assert record.audit_entries().filter(action=Action.SUBMITTED).exists() == (
        state == ReviewState.SUBMITTED
    )


@pytest.mark.parametrize(
    "actor, status, published",
    [
        ("anonymous", "login", False),
        ("editor", 403, False),
        ("reviewer", 302, True),
        ("superuser", 302, True),
    ],
)
def test_approving_a_page(db, client, actors, submitted, actor, status, published):
    revision = submitted.latest_revision
    response = actors[actor].post(
        admin_url(submitted, "review"),
        {"content_hash": revision.content_hash, "decision": "approve"},
    )

    assert (
        is_login_redirect(response)
        if status == "login"
        else response.status_code == status
    )
    record = Treatment.objects.get(pk=submitted.pk)
    if published:
        assert (
            record.live_revision == revision
            and record.review_state == ReviewState.APPROVED
        )
        assert (
            client.get(reverse("treatments:treatment", args=[record.slug])).status_code
            == 200
        )
    else:
        assert (
            record.live_revision is None
            and record.review_state == ReviewState.SUBMITTED
        )
        assert (
            client.get(reverse("treatments:treatment", args=[record.slug])).status_code
            == 404
        )


@pytest.mark.parametrize(
    "actor, status, decided",
    [
        ("anonymous", "login", False),
        ("editor", 403, False),
        ("reviewer", 302, True),
        ("superuser", 302, True),
    ],
)
def test_requesting_changes(db, actors, submitted, actor, status, decided):
    revision = submitted.latest_revision
    response = actors[actor].post(
        admin_url(submitted, "review"),
        {
            "content_hash": revision.content_hash,
            "decision": "request_changes",
            "note": "Shorter, please.",
        },
    )

    assert (
        is_login_redirect(response)
        if status == "login"
        else response.status_code == status
    )
    record = Treatment.objects.get(pk=submitted.pk)
    expected = ReviewState.CHANGES_REQUESTED if decided else ReviewState.SUBMITTED
    assert record.review_state == expected
    assert (
        record.audit_entries().filter(action=Action.CHANGES_REQUESTED).exists()
        == decided
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_deletes_a_revision_through_the_admin(db, actors, draft, actor, method):
    revision = draft.latest_revision
    url = reverse("admin:editorial_revision_delete", args=[revision.pk])

    response = getattr(actors[actor], method)(
        url, {"post": "yes"} if method == "post" else None
    )

    if actor == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 403
    assert Revision.objects.filter(pk=revision.pk).exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_nobody_deletes_a_reviewed_page_through_the_admin(db, actors, draft, actor):
    response = actors[actor].post(admin_url(draft, "delete"), {"post": "yes"})
    if actor == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == 403
    assert Treatment.objects.filter(pk=draft.pk).exists()


@pytest.mark.parametrize(
    "model", [Revision, AuditEntry], ids=["revision", "audit-entry"]
)
def test_nobody_deletes_history_through_the_orm(db, draft, model):
    with pytest.raises(PermissionDenied):
        model.objects.filter(object_id=draft.pk).get().delete()
    with pytest.raises(PermissionDenied):
        model.objects.all().delete()
    assert model.objects.filter(object_id=draft.pk).count() == 1


# The rules behind the matrix ----------------------------------------------------------


def test_editors_cannot_open_the_review_screen(db, actors, submitted):
    assert actors["editor"].get(admin_url(submitted, "review")).status_code == 403


def test_reviewers_see_content_read_only(db, actors, draft):
    response = actors["reviewer"].get(admin_url(draft, "change"))
    html = response.content.decode()
    assert response.status_code == 200
    assert DRAFT_WORDS in html
    assert 'name="_save"' not in html and 'name="body"' not in html


@pytest.mark.parametrize("approver", ["superuser", "editor-and-reviewer"])
def test_nobody_approves_what_they_edited_in_the_admin(
    db, django_user_model, superuser, second_editor, submitted, approver
):
    """Superusers hold every permission; one user may be in both groups: still no."""
    user = superuser if approver == "superuser" else make_dual_role()
    client = Client()
    client.force_login(user)
    data = change_form_data(submitted, superuser)
    response = client.post(
        admin_url(submitted, "change"), {**data, "body": "My edit.", "_save": "Save"}
    )
    assert response.status_code == 302
    submit(submitted, second_editor, "Changed the words.")
    revision = Treatment.objects.get(pk=submitted.pk).latest_revision
    assert user.pk in revision.contributor_ids

    review = client.get(admin_url(submitted, "review")).content.decode()
    assert "You wrote or edited this revision, so you cannot sign it off." in review
    assert 'value="approve"' not in review  # no button for a refused step
    response = client.post(
        admin_url(submitted, "review"),
        {"content_hash": revision.content_hash, "decision": "approve"},
        follow=True,
    )

    assert response.status_code == 200
    assert "a second person must sign it off" in response.content.decode()
    record = Treatment.objects.get(pk=submitted.pk)
    assert record.live_revision is None and record.review_state == ReviewState.SUBMITTED
    assert not record.audit_entries().filter(action=Action.APPROVED).exists()


def test_a_reviewer_who_edited_at_the_model_layer_cannot_approve_in_the_admin(
    db, actors, reviewer, draft, second_editor
):
    """Reviewers cannot edit in the admin, but an edit made in their name binds them."""
    edit(draft, reviewer, body="The reviewer's own words.")
    submit(draft, second_editor)
    revision = Treatment.objects.get(pk=draft.pk).latest_revision

    response = actors["reviewer"].post(
        admin_url(draft, "review"),
        {"content_hash": revision.content_hash, "decision": "approve"},
        follow=True,
    )

    assert response.status_code == 200
    assert "You wrote or edited this revision" in response.content.decode()
    assert Treatment.objects.get(pk=draft.pk).live_revision is None


def test_staff_without_a_role_can_neither_preview_nor_review(
    db, django_user_model, submitted
):
    staff = get_user_model().objects.create_user(
        "bystander", password="pw-for-tests", is_staff=True
    )
    client = Client()
    client.force_login(staff)
    assert (
        client.get(
            reverse("editorial:draft-preview", args=["treatment", submitted.pk])
        ).status_code
        == 404
    )
    assert client.get(admin_url(submitted, "review")).status_code == 403
    assert (
        client.post(admin_url(submitted, "submit"), {"change_summary": "x"}).status_code
        == 403
    )

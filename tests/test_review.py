"""The medical review workflow: states, sign-off, history and what patients see."""

import re
import time
from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from editorial.models import (
    Action,
    AuditEntry,
    ReviewState,
    Revision,
    WorkflowError,
    add_months,
)
from editorial.models.sharing import (
    PREVIEW_MAX_AGE,
    SALT,
    load_preview_token,
    preview_token,
    preview_url,
)
from treatments.models import SiteSettings, Treatment

from .kit import (
    HARD_BODY,
    PLAIN_BODY,
    approve,
    edit,
    make_dual_role,
    make_published,
    make_treatment,
    make_user,
    public_html,
    run_tasks,
    submit,
)

# Long sentences of long words: far above the grade 8 target.
BYLINE = "Test Reviewer, MD, Medical reviewer"


# Helpers ------------------------------------------------------------------------------


def actions(record):
    """The audit trail as (action, username), oldest first."""
    entries = record.audit_entries().order_by("created_at", "pk").select_related("user")
    return [
        (entry.action, entry.user.username if entry.user else None) for entry in entries
    ]


def page_dates_section(html):
    return html.split('class="page-dates"', 1)[1].split("</section>", 1)[0]


def long_date(day):
    """Month D, YYYY."""
    return f"{day:%B} {day.day}, {day.year}"


def local_day(moment):
    return timezone.localtime(moment).date()


# The state machine --------------------------------------------------------------------


def test_a_draft_is_published_once_submitted_and_approved(db, editor, reviewer):
    record = make_treatment(editor)
    assert (record.review_state, record.live_revision) == (ReviewState.DRAFT, None)

    submitted = submit(record, editor)
    assert record.review_state == ReviewState.SUBMITTED

    approved = approve(record, reviewer)
    record.refresh_from_db()
    assert approved == submitted
    assert record.review_state == ReviewState.APPROVED
    assert record.live_revision == record.latest_revision == approved
    assert record.last_reviewed_by == reviewer
    assert record.latest_revision_id == record.live_revision_id


def test_requested_changes_keep_the_comment_and_the_next_edit_is_a_new_draft(
    db, client, editor, reviewer
):
    record = make_treatment(editor)
    first = submit(record, editor)
    record.request_changes(
        reviewer, first.content_hash, "Say how often the scans happen."
    )

    record.refresh_from_db()
    assert record.review_state == ReviewState.CHANGES_REQUESTED
    assert record.live_revision is None
    comment = record.audit_entries().get(action=Action.CHANGES_REQUESTED)
    assert (comment.user, comment.note, comment.revision) == (
        reviewer,
        "Say how often the scans happen.",
        first,
    )

    client.force_login(editor)
    change_page = client.get(
        reverse("admin:treatments_treatment_change", args=[record.pk])
    )
    assert (
        "Reviewer's comment:</strong> Say how often the scans happen."
        in change_page.content.decode()
    )

    second = edit(
        record, editor, body=PLAIN_BODY + "\n\nMost people get a scan every six months."
    )
    assert second.number == first.number + 1
    assert record.review_state == ReviewState.DRAFT
    with pytest.raises(WorkflowError, match="not waiting for review"):
        approve(record, reviewer)


def test_withdrawing_returns_a_submission_to_draft(db, editor, reviewer):
    record = make_treatment(editor)
    submit(record, editor)
    record.withdraw(editor)

    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT
    with pytest.raises(WorkflowError, match="Only content waiting for review"):
        record.withdraw(editor)
    with pytest.raises(WorkflowError, match="not waiting for review"):
        approve(record, reviewer)
    assert record.live_revision is None


def test_an_edit_after_submission_makes_a_new_draft_revision(db, editor):
    record = make_treatment(editor)
    submitted = submit(record, editor)

    newer = edit(record, editor, body="You get a scan once a year.")

    record.refresh_from_db()
    assert newer.number == submitted.number + 1
    assert record.latest_revision == newer
    assert record.review_state == ReviewState.DRAFT


def test_saving_unchanged_content_makes_no_new_revision(db, editor, second_editor):
    record = make_treatment(editor)
    again = edit(record, second_editor)
    assert again == record.latest_revision
    assert again.number == 1 and again.contributor_ids == [editor.pk]


def test_the_public_page_keeps_the_approved_revision_until_the_new_one_is_approved(
    db, client, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")

    edit(record, editor, body="New words about scans.")
    assert record.review_state == ReviewState.DRAFT
    html = public_html(client, record)
    assert "Old words about scans." in html and "New words about scans." not in html

    submit(record, editor, "Changed the words about scans.")
    html = public_html(client, record)
    assert "Old words about scans." in html and "New words about scans." not in html

    approve(record, reviewer)
    html = public_html(client, record)
    assert "New words about scans." in html and "Old words about scans." not in html


def test_a_new_page_is_not_found_until_it_is_approved(db, client, editor):
    record = make_treatment(editor)
    url = reverse("treatments:treatment", args=[record.slug])
    assert client.get(url).status_code == 404
    submit(record, editor)
    assert client.get(url).status_code == 404


def test_a_save_from_a_copy_loaded_before_the_approval_keeps_the_page_published(
    db, client, editor, reviewer
):
    """The admin loads, validates, then saves: an approval in between must stay."""
    record = make_treatment(editor)
    submit(record, editor)
    # An editor's save request loads the page, a reviewer approves, then the save lands.
    opened = Treatment.objects.get(pk=record.pk)
    approved = approve(record, reviewer)
    edit(opened, editor, summary="A plan to watch a slow tumor closely.")

    record.refresh_from_db()
    assert record.live_revision == approved
    assert record.last_reviewed_by == reviewer
    assert record.review_state == ReviewState.DRAFT
    url = reverse("treatments:treatment", args=[record.slug])
    assert client.get(url).status_code == 200


# Four eyes: nobody signs off their own edits ------------------------------------------


def drafted_by_the_approver(django_user_model, editor, second_editor, superuser):
    approver = make_dual_role()
    return make_treatment(approver), approver


def earlier_revision_edited_by_the_approver(
    django_user_model, editor, second_editor, superuser
):
    approver = make_dual_role()
    record = make_treatment(approver)
    edit(record, second_editor, body="You get a scan once a year.")
    return record, approver


def edited_by_a_superuser(django_user_model, editor, second_editor, superuser):
    record = make_treatment(editor)
    edit(record, superuser, body="You get a scan once a year.")
    return record, superuser


@pytest.mark.parametrize(
    "make_case",
    [
        drafted_by_the_approver,
        earlier_revision_edited_by_the_approver,
        edited_by_a_superuser,
    ],
    ids=["author", "editor-of-an-earlier-unpublished-revision", "superuser-who-edited"],
)
def test_nobody_can_sign_off_a_revision_they_edited(
    db, django_user_model, editor, second_editor, superuser, make_case
):
    record, approver = make_case(django_user_model, editor, second_editor, superuser)
    submit(record, editor)
    content_hash = record.latest_revision.content_hash

    with pytest.raises(PermissionDenied, match="You wrote or edited this revision"):
        record.approve(approver, content_hash)
    with pytest.raises(PermissionDenied, match="You wrote or edited this revision"):
        record.request_changes(approver, content_hash, "Please change it.")

    record.refresh_from_db()
    assert record.review_state == ReviewState.SUBMITTED
    assert record.live_revision is None
    assert (
        not record.audit_entries()
        .filter(
            action__in=[Action.APPROVED, Action.PUBLISHED, Action.CHANGES_REQUESTED]
        )
        .exists()
    )


def test_editors_cannot_sign_off_at_all(db, editor, second_editor):
    record = make_treatment(second_editor)
    submit(record, second_editor)
    with pytest.raises(PermissionDenied, match="Only medical reviewers"):
        approve(record, editor)
    record.refresh_from_db()
    assert record.live_revision is None


def test_edits_that_are_already_published_do_not_bar_their_author_from_the_next_review(
    db, django_user_model, second_editor, reviewer
):
    """The four-eyes chain runs back to the last approved revision, no further."""
    dual = make_dual_role()
    record = make_published(dual, reviewer)
    newer = edit(record, second_editor, body="You get a scan once a year.")
    assert newer.contributor_ids == [second_editor.pk]
    submit(record, second_editor, "Said how often scans happen.")

    assert approve(record, dual) == newer
    record.refresh_from_db()
    assert record.live_revision == newer


def test_approval_is_bound_to_the_content_the_reviewer_read(
    db, client, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")
    live = record.live_revision
    edit(record, editor, body="New words about scans.")
    submit(record, editor, "Changed the words about scans.")
    read_hash = record.latest_revision.content_hash  # what the reviewer opened

    # The editor changes and resubmits the page while the reviewer reads.
    edit(record, editor, body="Other words about scans.")
    submit(record, editor, "Changed the words about scans.")

    with pytest.raises(
        WorkflowError, match="changed after you opened it.*Nothing was approved"
    ):
        record.approve(reviewer, read_hash)
    with pytest.raises(WorkflowError, match="changed after you opened it"):
        record.request_changes(reviewer, read_hash, "Please change it.")

    record.refresh_from_db()
    assert record.live_revision == live
    assert record.review_state == ReviewState.SUBMITTED
    assert record.audit_entries().filter(action=Action.APPROVED).count() == 1
    assert "Old words about scans." in public_html(client, record)


# Submitting ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "summary",
    ["", "   \n ", None, "x" * 201],
    ids=["empty", "blank", "none", "too-long"],
)
def test_submitting_needs_a_one_line_change_summary(db, editor, summary):
    record = make_treatment(editor)
    with pytest.raises(WorkflowError):
        record.submit(editor, summary)
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT
    assert not record.audit_entries().filter(action=Action.SUBMITTED).exists()


def test_a_page_above_grade_8_is_submitted_only_with_a_reason_the_reviewer_sees(
    db, client, editor, reviewer
):
    record = make_treatment(editor, body=HARD_BODY)
    assert record.latest_revision.reading_grade() > 8

    for reason in ("", "   "):
        with pytest.raises(WorkflowError, match="above our target of grade 8"):
            record.submit(editor, "First version of this page.", reason)
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT

    reason = "Clinicians asked for the exact names of these tests"
    record.submit(editor, "First version of this page.", reason)
    record.refresh_from_db()
    assert record.review_state == ReviewState.SUBMITTED
    assert (
        record.audit_entries().get(action=Action.SUBMITTED).reading_level_reason
        == reason
    )

    client.force_login(reviewer)
    response = client.get(
        reverse("admin:treatments_treatment_review", args=[record.pk])
    )
    assert (
        f"<strong>Editor's reason for the reading level:</strong> {reason}"
        in response.content.decode()
    )


def test_a_plain_page_needs_no_reading_level_reason(db, editor):
    record = make_treatment(editor)
    assert record.latest_revision.reading_grade() <= 8
    submit(record, editor)
    assert record.review_state == ReviewState.SUBMITTED


# History is immutable -----------------------------------------------------------------

EARLIER = timedelta(days=1)


def save_changed_instance(entry):
    entry.created_at -= EARLIER
    entry.save()


def delete_instance(entry):
    entry.delete()


def update_queryset(entry):
    type(entry).objects.filter(pk=entry.pk).update(
        created_at=entry.created_at - EARLIER
    )


def delete_queryset(entry):
    type(entry).objects.filter(pk=entry.pk).delete()


def bulk_update(entry):
    entry.created_at -= EARLIER
    type(entry).objects.bulk_update([entry], ["created_at"])


def save_new_instance_with_its_pk(entry):
    """A fresh instance carrying an existing primary key, as deserialization builds."""
    model = type(entry)
    copy = model(
        **{
            field.attname: getattr(entry, field.attname)
            for field in model._meta.concrete_fields
        }
    )
    copy.created_at -= EARLIER
    copy.save()


@pytest.mark.parametrize(
    "change",
    [
        save_changed_instance,
        delete_instance,
        update_queryset,
        delete_queryset,
        bulk_update,
        save_new_instance_with_its_pk,
    ],
    ids=lambda change: change.__name__,
)
@pytest.mark.parametrize(
    "model", [Revision, AuditEntry], ids=["revision", "audit-entry"]
)
def test_revisions_and_audit_entries_cannot_be_changed_or_deleted(
    db, editor, model, change
):
    record = make_treatment(editor)
    entry = model.objects.filter(object_id=record.pk).get()
    stored = model.objects.filter(pk=entry.pk).values().get()

    with pytest.raises((PermissionDenied, IntegrityError)), transaction.atomic():
        change(entry)

    assert model.objects.filter(pk=entry.pk).values().get() == stored


def test_every_workflow_action_is_written_to_the_audit_trail(
    db, django_user_model, editor, second_editor, reviewer
):
    record = make_treatment(editor)
    submit(record, editor)
    record.withdraw(editor)
    submit(record, editor, "Second try.")
    record.request_changes(
        reviewer, record.latest_revision.content_hash, "Add how often scans happen."
    )
    edit(record, second_editor, body="You get a scan once a year.")
    submit(record, second_editor, "Said how often scans happen.")
    approve(record, reviewer, "Matches the guidelines.")
    record.confirm_still_accurate(
        make_user("reviewer2", "Medical reviewers"), "Still right."
    )

    assert actions(record) == [
        (Action.CREATED, "editor"),
        (Action.SUBMITTED, "editor"),
        (Action.WITHDRAWN, "editor"),
        (Action.SUBMITTED, "editor"),
        (Action.CHANGES_REQUESTED, "reviewer"),
        (Action.CREATED, "editor2"),
        (Action.SUBMITTED, "editor2"),
        (Action.APPROVED, "reviewer"),
        (Action.PUBLISHED, "reviewer"),
        (Action.CONFIRMED, "reviewer2"),
    ]
    approval = record.audit_entries().get(action=Action.APPROVED)
    assert (approval.note, approval.reviewer_byline) == (
        "Matches the guidelines.",
        BYLINE,
    )
    assert approval.revision == record.live_revision


# Review dates -------------------------------------------------------------------------


def shown_dates(html):
    """{label: ISO date} of the page's review dates."""
    return dict(
        re.findall(
            r"<p>([A-Z][a-z ]+): <time datetime=\"([^\"]+)\">", page_dates_section(html)
        )
    )


def test_confirming_still_accurate_moves_the_review_dates_but_not_the_update_date(
    db, client, clock, editor, reviewer
):
    record = make_published(editor, reviewer)
    live = record.live_revision
    long_ago = timezone.now() - timedelta(days=400)
    Treatment.objects.filter(pk=record.pk).update(
        last_reviewed_at=long_ago,
        content_updated_at=long_ago,
        next_review_due=local_day(long_ago),
    )
    assert (
        shown_dates(public_html(client, record))["Last reviewed"]
        == local_day(long_ago).isoformat()
    )

    record.confirm_still_accurate(reviewer, "Checked against current guidelines.")

    record.refresh_from_db()
    today = timezone.localdate()
    assert today == date(2026, 6, 10)  # the test clock's day
    assert record.content_updated_at == long_ago
    assert local_day(record.last_reviewed_at) == today
    assert record.next_review_due == date(2027, 6, 10)
    assert record.live_revision == record.latest_revision == live
    assert record.revisions().count() == 1
    # The public page follows at once.
    assert shown_dates(public_html(client, record)) == {
        "Last reviewed": today.isoformat(),
        "Updated": local_day(long_ago).isoformat(),
        "Next review due": record.next_review_due.isoformat(),
    }


def test_only_published_content_can_be_confirmed(db, editor, reviewer):
    record = make_treatment(editor)
    with pytest.raises(WorkflowError, match="Only published content"):
        record.confirm_still_accurate(reviewer)


@pytest.mark.parametrize(
    "months, due",
    [(6, date(2026, 12, 10)), (12, date(2027, 6, 10)), (24, date(2028, 6, 10))],
)
def test_the_next_review_is_due_the_site_review_interval_after_approval(
    db, clock, editor, reviewer, months, due
):
    """Approved on the test clock's day, Wednesday 10 June 2026."""
    SiteSettings.objects.create(review_interval_months=months)
    record = make_published(editor, reviewer)
    assert local_day(record.last_reviewed_at) == date(2026, 6, 10)
    assert record.next_review_due == due


@pytest.mark.parametrize(
    "approved_at, months, due",
    [
        (datetime(2026, 1, 15, 9), 12, date(2027, 1, 15)),
        (datetime(2026, 8, 30, 9), 6, date(2027, 2, 28)),
        (datetime(2026, 3, 31, 9), 12, date(2027, 3, 31)),
        (datetime(2026, 10, 29, 9), 6, date(2027, 4, 29)),
    ],
    ids=["mid-month", "end-of-month-into-february", "31st", "29th"],
)
def test_the_review_interval_counts_whole_months_from_the_approval_day(
    approved_at, months, due
):
    assert add_months(approved_at, months).date() == due


# What patients see --------------------------------------------------------------------


def test_the_public_page_says_who_reviewed_it_and_when(db, client, editor, reviewer):
    record = make_published(editor, reviewer)
    html = public_html(client, record)
    section = page_dates_section(html)

    assert f"Medically reviewed by {BYLINE}" in section
    shown = {
        label: (datetime_attr, text)
        for label, datetime_attr, text in re.findall(
            r"<p>([A-Z][a-z ]+): <time datetime=\"([^\"]+)\">([^<]+)</time></p>",
            section,
        )
    }
    reviewed = local_day(record.last_reviewed_at)
    updated = local_day(record.content_updated_at)
    assert shown == {
        "Last reviewed": (reviewed.isoformat(), long_date(reviewed)),
        "Updated": (updated.isoformat(), long_date(updated)),
        "Next review due": (
            record.next_review_due.isoformat(),
            long_date(record.next_review_due),
        ),
    }
    assert all(
        re.fullmatch(r"[A-Z][a-z]+ [1-9]\d?, \d{4}", text) for _, text in shown.values()
    )
    assert f'href="{reverse("treatments:policy")}"' in section


def test_changes_to_this_page_lists_approved_change_summaries_newest_first(
    db, client, editor, reviewer
):
    record = make_treatment(editor)
    submit(record, editor, "First version of this page.")
    approve(record, reviewer)
    edit(record, editor, body="You get a scan once a year.")
    submit(record, editor, "Said how often scans happen.")
    record.withdraw(editor)
    # The last summary given for a revision is the one shown.
    submit(record, editor, "Explained how often you get a scan.")
    approve(record, reviewer)
    edit(record, editor, body="You get a scan twice a year.")
    submit(record, editor, "Not approved yet.")

    section = page_dates_section(public_html(client, record))
    assert "<h3>Changes to this page</h3>" in section
    changes = re.findall(
        r"<li><time datetime=\"([^\"]+)\">([^<]+)</time>: ([^<]+)</li>", section
    )
    today = timezone.localdate()
    assert changes == [
        (today.isoformat(), long_date(today), "Explained how often you get a scan."),
        (today.isoformat(), long_date(today), "First version of this page."),
    ]


def test_pages_name_our_reviewer_and_never_the_seed_reviewer(published_site, client):
    for url in (
        "/",
        "/treatments/surgery/",
        "/side-effects/nausea/",
        reverse("treatments:policy"),
    ):
        html = client.get(url).content.decode()
        assert "markman" not in html.lower(), url
    assert (
        f"Medically reviewed by {BYLINE}"
        in client.get("/treatments/surgery/").content.decode()
    )


# The review_status command ------------------------------------------------------------


def run_review_status(*args):
    """(exit status, stdout, stderr) of the command."""
    out, err = StringIO(), StringIO()
    try:
        call_command("review_status", *args, stdout=out, stderr=err)
    except SystemExit as stop:
        status = stop.code
    else:
        status = 0
    return status, out.getvalue(), err.getvalue()


def test_review_status_exits_0_when_nothing_is_due(db, editor, reviewer):
    make_published(editor, reviewer)
    status, out, _ = run_review_status()
    assert status == 0
    assert "No page is overdue or due within 30 days." in out


def test_review_status_lists_pages_due_soon_and_exits_0(db, editor, reviewer):
    record = make_published(editor, reviewer)
    soon = timezone.localdate() + timedelta(days=10)
    Treatment.objects.filter(pk=record.pk).update(next_review_due=soon)
    status, out, _ = run_review_status()
    assert status == 0
    assert "Due within 30 days: Watchful waiting (review due " in out
    assert long_date(soon) in out or f"{soon:%B %d, %Y}" in out
    assert "OVERDUE" not in out


def test_review_status_exits_1_for_an_overdue_page_which_stays_public(
    db, client, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")
    make_published(editor, reviewer, slug="surgery", title="Surgery")
    yesterday = timezone.localdate() - timedelta(days=1)
    Treatment.objects.filter(pk=record.pk).update(next_review_due=yesterday)

    status, out, err = run_review_status()

    assert status == 1
    assert "OVERDUE: Watchful waiting (review due " in out
    assert long_date(yesterday) in out or f"{yesterday:%B %d, %Y}" in out
    assert "Surgery" not in out
    assert "1 page(s) are overdue for medical review." in err
    assert "Old words about scans." in public_html(client, record)


# Previews -----------------------------------------------------------------------------


def test_staff_preview_the_latest_draft_marked_as_not_reviewed(
    db, client, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")
    edit(record, editor, body="New draft words about scans.")
    client.force_login(editor)

    response = client.get(
        reverse("editorial:draft-preview", args=["treatment", record.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Draft — not yet medically reviewed" in html
    assert (
        "New draft words about scans." in html and "Old words about scans." not in html
    )
    assert '<meta name="robots" content="noindex, nofollow">' in html


def test_anonymous_visitors_cannot_preview_a_draft(db, client, editor):
    record = make_treatment(editor, body="Secret draft words.")
    response = client.get(
        reverse("editorial:draft-preview", args=["treatment", record.pk])
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert "Secret draft words." not in response.content.decode()


def test_a_shared_preview_link_shows_its_revision_only_to_anyone_with_it(
    db, client, editor, reviewer
):
    record = make_published(editor, reviewer, body="Old words about scans.")
    shared = edit(record, editor, body="Shared draft words.")
    url = preview_url(shared)
    edit(record, editor, body="Later draft words.")

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Shared draft words." in html
    assert "Later draft words." not in html and "Old words about scans." not in html
    assert "Draft — not yet medically reviewed" in html
    assert "noindex" in response["X-Robots-Tag"]


class SignedLongAgo(signing.TimestampSigner):
    """Signs as if the link had been made just over PREVIEW_MAX_AGE ago."""

    def timestamp(self):
        return signing.b62_encode(
            int(time.time() - PREVIEW_MAX_AGE.total_seconds() - 60)
        )


def test_an_expired_preview_link_is_refused_with_a_clear_message(db, client, editor):
    revision = make_treatment(editor, body="Shared draft words.").latest_revision
    with pytest.raises(signing.SignatureExpired):
        load_preview_token(preview_token(revision), max_age=timedelta(seconds=-1))

    token = SignedLongAgo(salt=SALT).sign_object(
        {"revision": revision.pk}, compress=True
    )
    assert (
        load_preview_token(token, max_age=PREVIEW_MAX_AGE + timedelta(hours=1))
        == revision
    )
    response = client.get(reverse("editorial:shared-preview", args=[token]))

    html = response.content.decode()
    assert response.status_code == 410
    assert "This preview link has expired" in html
    assert "Shared draft words." not in html


def test_a_tampered_preview_link_is_not_found(db, client, editor):
    revision = make_treatment(editor, body="Shared draft words.").latest_revision
    token = preview_token(revision)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    other_salt = signing.dumps(
        {"revision": revision.pk}, salt="something-else", compress=True
    )
    for bad in (tampered, other_salt):
        response = client.get(reverse("editorial:shared-preview", args=[bad]))
        assert response.status_code == 404
        assert "Shared draft words." not in response.content.decode()


def test_a_preview_link_to_content_that_no_longer_exists_is_not_found(
    db, client, editor
):
    """A signed link outlives its data when a database is restored from a backup."""
    record = make_treatment(editor, body="Shared draft words.")
    deleted = preview_url(record.latest_revision)
    Treatment.objects.filter(pk=record.pk).delete()
    missing_revision = reverse(
        "editorial:shared-preview",
        args=[signing.dumps({"revision": 987654}, salt=SALT, compress=True)],
    )

    for url in (deleted, missing_revision):
        response = client.get(url)
        assert response.status_code == 404, url


# Emails -------------------------------------------------------------------------------

BODY_SENTENCES = ["Kiwi fruit tastes sweet.", "Take the green pill at noon."]


def assert_short_and_without_page_text(message):
    assert len(message.body) < 400
    for sentence in BODY_SENTENCES:
        assert sentence not in message.subject and sentence not in message.body


def test_submitting_sends_one_short_email_to_reviewers_with_a_link(
    db, client, editor, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    record = make_treatment(editor, body="\n\n".join(BODY_SENTENCES))
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:treatments_treatment_submit", args=[record.pk]),
            {
                "change_summary": "First version of this page.",
                "reading_level_reason": "",
            },
        )

    assert response.status_code == 302
    run_tasks()  # the worker sends the email
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [reviewer.email]
    assert (
        settings.SITE_URL
        + reverse("admin:treatments_treatment_review", args=[record.pk])
        in message.body
    )
    assert_short_and_without_page_text(message)


@pytest.mark.parametrize("decision", ["approve", "request_changes"])
def test_each_review_decision_sends_one_short_email_to_the_editors_with_a_link(
    db,
    client,
    editor,
    reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
    decision,
):
    record = make_treatment(editor, body="\n\n".join(BODY_SENTENCES))
    submit(record, editor)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:treatments_treatment_review", args=[record.pk]),
            {
                "content_hash": record.latest_revision.content_hash,
                "note": "Say when.",
                "decision": decision,
            },
        )

    assert response.status_code == 302
    run_tasks()  # the worker sends the email
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [editor.email]
    assert (
        settings.SITE_URL
        + reverse("admin:treatments_treatment_change", args=[record.pk])
        in message.body
    )
    assert_short_and_without_page_text(message)


# The review queue ---------------------------------------------------------------------


def test_the_review_queue_lists_the_reviewers_specialty_first(
    db, client, editor, reviewer
):
    for slug, title, specialty in [
        ("aardvark", "Aardvark surgery", "surgery"),
        ("bee", "Bee therapy", ""),
        ("zebra", "Zebra medicine", "medical-oncology"),  # the reviewer's specialty
    ]:
        submit(
            make_treatment(editor, slug=slug, title=title, review_specialty=specialty),
            editor,
        )
    client.force_login(reviewer)

    html = client.get("/admin/review/").content.decode()

    waiting = html.split("Waiting for your review (3)", 1)[1].split("</ul>", 1)[0]
    titles = re.findall(r'<a href="[^"]+/review/">([^<]+)</a>', waiting)
    assert titles == ["Zebra medicine", "Aardvark surgery", "Bee therapy"]
    assert "<strong>Your specialty:</strong> <a" in waiting.split("Aardvark", 1)[0]
    assert waiting.count("Your specialty:") == 1

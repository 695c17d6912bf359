"""The editorial desk: history, compare, restore, scheduled publishing, everyone's
queue, share links and working together, through the real admin."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from editorial.diffing import compare_snapshots, text_diff, word_diff
from editorial.models import Action, EditingMark, ReviewState, Step, WorkflowError
from netguide import static_site
from treatments.models import (
    Drug,
    GlossaryTerm,
    Page,
    ReviewerProfile,
    SearchEntry,
    SideEffect,
    SiteSettings,
    Treatment,
)

from .kit import (
    admin_url,
    approve,
    edit,
    make_dual_role,
    make_published,
    make_treatment,
    make_user,
    open_change_form,
    public_html,
    publish_scheduled,
    queued_tasks,
    run_tasks,
    save_change_form,
    submit,
)

SIX = "Most people get a scan every 6 months while they are being watched."
THREE = "Most people get a scan every 3 months while they are being watched."


def three_revisions(editor, reviewer):
    """Published revision 1 ("6 months"), then drafts 2 ("3 months") and 3."""
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    edit(record, editor, summary="A plan to watch a slow tumor closely.")
    return record


# Word-level comparison -----------------------------------------------------------


def test_a_changed_number_inside_a_long_sentence_is_the_only_thing_marked():
    html = word_diff(SIX, THREE)
    assert html == (
        "Most people get a scan every "
        '<del><span class="visually-hidden">removed: </span>6</del>'
        '<ins><span class="visually-hidden">added: </span>3</ins>'
        " months while they are being watched."
    )


def test_text_is_escaped_in_the_comparison():
    assert word_diff("a <b>", "a <i>") == (
        "a &lt;"
        '<del><span class="visually-hidden">removed: </span>b</del>'
        '<ins><span class="visually-hidden">added: </span>i</ins>&gt;'
    )


def test_parts_are_compared_item_by_item_and_unchanged_fields_are_reported():
    drug = {
        "slug": "lanreotide",
        "brand_name": "Somatuline",
        "generic_name": "lanreotide",
        "how_given": "",
        "description": "",
    }
    old = {
        "title": "Hormone therapy",
        "drugs": [drug],
        "questions": ["Will it hurt?", "How long does it take?"],
        "body_html": "<p>derived</p>",
        "also_ask": "",
    }
    new = {
        **old,
        "drugs": [{**drug, "brand_name": "Somatuline Depot"}],
        "questions": ["How long does it take?"],
    }
    fields = {field.key: field for field in compare_snapshots(old, new, Treatment)}
    assert "body_html" not in fields  # derived, never shown
    assert fields["title"].changed is False
    assert "also_ask" not in fields  # empty in both
    assert [(p.status, str(p.html)) for p in fields["drugs"].parts] == [
        (
            "changed",
            'Somatuline<ins><span class="visually-hidden">added: </span> Depot</ins>'
            " (lanreotide). ",
        )
    ]
    assert [p.status for p in fields["questions"].parts] == ["removed", "same"]


def test_any_two_old_revisions_are_compared_with_the_changed_word_marked(
    db, client, editor, reviewer
):
    record = three_revisions(editor, reviewer)
    client.force_login(reviewer)

    response = client.get(admin_url(record, "compare") + "?r=2&r=1")

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Compare revisions 1 and 2 of “Watchful waiting”</h1>" in html
    assert (
        '<del><span class="visually-hidden">removed: </span>6</del>'
        '<ins><span class="visually-hidden">added: </span>3</ins> months' in html
    )
    assert re.search(r"<summary>Unchanged \(\d+\): Title, Summary, Position,", html)
    assert "base_revision" not in html


def test_comparing_needs_two_revisions_of_this_record(db, client, editor, reviewer):
    record = three_revisions(editor, reviewer)
    other = make_treatment(editor, slug="other", title="Other")
    client.force_login(editor)
    one = client.get(admin_url(record, "compare") + "?r=2", follow=True)
    assert "Choose two revisions to compare." in one.content.decode()
    assert client.get(admin_url(other, "compare") + "?r=1&r=3").status_code == 404


# History ---------------------------------------------------------------------------


def test_the_history_lists_every_revision_with_its_author_state_and_decisions(
    db, client, editor, reviewer
):
    record = make_treatment(editor, body=SIX)
    first = submit(record, editor, "First version.")
    record.request_changes(reviewer, first.content_hash, "Say how often, please.")
    edit(record, editor, body=THREE)
    submit(record, editor, "Said how often.")
    approve(record, reviewer, "Matches our sources.")
    client.force_login(editor)

    response = client.get(admin_url(record, "history"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>History of “Watchful waiting”</h1>" in html
    rows = html.split('<tr id="revision-')[1:]
    assert [row.split('"', 1)[0] for row in rows] == ["2", "1"]
    assert '<td data-label="State">Public (latest)</td>' in rows[0]
    assert '<td data-label="State">Earlier draft</td>' in rows[1]
    assert "<strong>Approved</strong> by reviewer" in rows[0]
    assert "“Matches our sources.”" in rows[0]
    assert "<strong>Changes requested</strong> by reviewer" in rows[1]
    assert "“Say how often, please.”" in rows[1]
    assert '<td data-label="By">editor</td>' in rows[0]
    assert '<td data-label="Contributors">editor</td>' in rows[0]
    assert 'href="../revisions/1/"' in rows[1]
    assert 'href="../revisions/1/restore/"' in rows[1]
    assert "restore/" not in rows[0]  # the latest is not restored onto itself


def test_any_revision_is_shown_as_the_patient_would_see_it(
    db, client, editor, reviewer
):
    record = three_revisions(editor, reviewer)
    client.force_login(reviewer)

    old = client.get(admin_url(record, "revision", 1)).content.decode()
    draft = client.get(admin_url(record, "revision", 2)).content.decode()

    assert SIX in old and THREE not in old
    assert THREE in draft and SIX not in draft
    assert "Draft — not yet medically reviewed." in draft
    assert "Draft — not yet medically reviewed." not in old  # the public one
    assert client.get(admin_url(record, "revision", 9)).status_code == 404


def test_history_and_revision_screens_need_a_staff_login(db, client, editor, reviewer):
    record = three_revisions(editor, reviewer)
    for url in (admin_url(record, "history"), admin_url(record, "revision", 1)):
        assert client.get(url).status_code == 302  # to the login page


def test_the_change_history_no_longer_mentions_base_revision(db, client, editor):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    data = open_change_form(client, record)
    save_change_form(client, record, data, body=THREE)
    message = LogEntry.objects.get(object_id=str(record.pk)).get_change_message()
    assert message == "Changed Body."


def test_the_revision_list_names_pages_by_title_and_filters_reviewable_kinds(
    db, client, editor, reviewer, superuser
):
    three_revisions(editor, reviewer)
    client.force_login(superuser)
    html = client.get(reverse("admin:editorial_revision_changelist")).content.decode()
    assert "“Watchful waiting” revision 3" in html
    assert "treatment 1, revision" not in html
    assert "?kind=" in html and "drug</a>" not in html.lower()


# Restore ---------------------------------------------------------------------------


def test_restoring_makes_a_new_draft_in_the_restorers_name_and_the_page_stays(
    db, client, editor, second_editor, reviewer
):
    record = three_revisions(editor, reviewer)
    client.force_login(second_editor)

    confirm = client.get(admin_url(record, "restore", 1)).content.decode()
    assert "Restore revision 1 as a new draft" in confirm
    done = client.post(admin_url(record, "restore", 1), follow=True)

    assert "Revision 1 was restored as “Watchful waiting” revision 4" in (
        done.content.decode()
    )
    record.refresh_from_db()
    restored = record.latest_revision
    assert (restored.number, restored.author) == (4, second_editor)
    assert restored.content_hash == record.live_revision.content_hash  # revision 1
    assert record.body == SIX and record.review_state == ReviewState.DRAFT
    assert record.live_revision.number == 1
    entry = record.audit_entries().filter(action=Action.RESTORED).get()
    assert (entry.user, entry.note) == (second_editor, "Restored from revision 1.")


def test_a_restored_revision_needs_a_second_person_before_patients_see_it(
    db, client, django_user_model, editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    submit(record, editor, "Every 3 months.")
    approve(record, reviewer)
    assert THREE in public_html(client, record)
    dual = make_dual_role()

    record.restore(record.revisions().last(), dual)
    assert THREE in public_html(client, record)  # not yet
    submit(record, dual, "Back to every 6 months.")
    assert Step.APPROVE not in record.available_steps(dual)
    with pytest.raises(PermissionDenied, match="cannot review it"):
        approve(record, dual)

    approve(record, make_user("reviewer2", "Medical reviewers"))
    html = public_html(Client(), record)
    assert SIX in html and THREE not in html


def test_only_editors_restore_and_never_onto_the_same_content(
    db, client, editor, reviewer
):
    record = three_revisions(editor, reviewer)
    client.force_login(reviewer)
    refused = client.post(admin_url(record, "restore", 1))
    assert refused.status_code == 403
    assert "Only editors can restore" in refused.content.decode()
    with pytest.raises(WorkflowError, match="nothing to restore"):
        record.restore(record.latest_revision, editor)
    assert record.revisions().count() == 3


def test_restoring_a_treatment_brings_back_its_questions_and_medicines(
    db, editor, reviewer
):
    record = make_published(editor, reviewer)
    record.drugs.add(
        Drug.objects.create(
            slug="octreotide", brand_name="Sandostatin", generic_name="octreotide"
        )
    )
    record.questions.create(text="Will it hurt?", order=5)
    with_parts = record.save_revision(editor)
    record.questions.all().delete()
    record.drugs.clear()
    record.save_revision(editor)

    restored = record.restore(with_parts, editor)

    assert restored.content_hash == with_parts.content_hash
    assert list(record.questions.values_list("text", flat=True)) == [
        "How often will I get a scan?",
        "Will it hurt?",
    ]


# Scheduled publishing --------------------------------------------------------------


def schedule_through_the_admin(client, record, go_live_at, note=""):
    return client.post(
        admin_url(record, "review"),
        {
            "content_hash": record.latest_revision.content_hash,
            "note": note,
            "decision": "schedule",
            "go_live_at": timezone.localtime(go_live_at).strftime("%Y-%m-%dT%H:%M"),
        },
        follow=True,
    )


def test_a_scheduled_approval_goes_live_only_when_its_time_comes(
    db, client, clock, editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE, title="Watchful waiting, revised")
    submit(record, editor, "Every 3 months.")
    reviewer_client = Client()
    reviewer_client.force_login(reviewer)
    go_live = clock.now + timedelta(minutes=1)

    done = schedule_through_the_admin(reviewer_client, record, go_live, "Fine.")

    assert "approved to go live on June 10, 2026 at 10:01" in done.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.SCHEDULED
    assert record.live_revision.number == 1
    # Nothing published leaks: the page, search, the sitemap, the cache.
    public = Client()
    assert SIX in public_html(public, record)
    assert SearchEntry.objects.get(object_id=record.pk).title == "Watchful waiting"
    assert "revised" not in public.get("/sitemap.xml").content.decode()
    dashboard = reviewer_client.get("/admin/review/").content.decode()
    assert "goes live on <strong>June 10, 2026, 10:01</strong>" in dashboard

    assert publish_scheduled() == "Nothing is due.\n"
    assert SIX in public_html(public, record)

    clock.advance(minutes=1)
    assert "Would publish" in publish_scheduled("--dry-run")
    assert SIX in public_html(public, record)
    assert publish_scheduled() == (
        "Published “Watchful waiting, revised” revision 2.\n"
    )
    assert publish_scheduled() == "Nothing is due.\n"  # idempotent

    record.refresh_from_db()
    assert (record.review_state, record.live_revision.number) == (
        ReviewState.APPROVED,
        2,
    )
    html = public_html(public, record)
    assert THREE in html and SIX not in html
    assert SearchEntry.objects.get(object_id=record.pk).title == (
        "Watchful waiting, revised"
    )
    assert record.last_reviewed_by == reviewer
    assert [a for a, _ in record.audit_entries().values_list("action", "user")][:3] == [
        Action.PUBLISHED,
        Action.APPROVED,
        Action.SCHEDULED,
    ]


def test_a_time_in_the_past_is_refused_and_nothing_is_scheduled(
    db, client, clock, editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    submit(record, editor, "Every 3 months.")
    client.force_login(reviewer)
    done = schedule_through_the_admin(client, record, clock.now - timedelta(hours=1))
    assert "Choose a time in the future" in done.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.SUBMITTED


def test_the_author_cannot_schedule_their_own_revision(
    db, django_user_model, clock, editor, reviewer
):
    record = make_published(editor, reviewer, body=SIX)
    dual = make_dual_role()
    edit(record, dual, body=THREE)
    submit(record, dual, "Every 3 months.")
    with pytest.raises(PermissionDenied, match="cannot review it"):
        record.schedule(
            dual, record.latest_revision.content_hash, clock.now + timedelta(hours=1)
        )


def scheduled_a_day_ahead(clock, editor, reviewer):
    """A published page whose change (every 6 → every 3 months) is approved to go
    live one day from now."""
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    submit(record, editor, "Every 3 months.")
    record.schedule(
        reviewer, record.latest_revision.content_hash, clock.now + timedelta(1)
    )
    return record


def test_a_later_edit_cancels_the_schedule_with_a_clear_notice(
    db, client, clock, editor, reviewer
):
    record = scheduled_a_day_ahead(clock, editor, reviewer)
    client.force_login(editor)
    form = client.get(admin_url(record, "change")).content.decode()
    assert "Approved to go live on <strong>June 11, 2026, 10:00</strong>" in form
    assert "revision 2 goes live on June 11, 2026 at 10:00" in form

    data = open_change_form(client, record)
    saved = save_change_form(client, record, data, body=THREE + " More.")

    assert (
        "It was approved to go live on June 11, 2026 at 10:00. Your change cancelled "
        "that" in saved.content.decode()
    )
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT and record.go_live_at is None
    assert record.audit_entries().filter(action=Action.SCHEDULE_CANCELLED).exists()
    form = client.get(admin_url(record, "change")).content.decode()
    assert "Scheduled publishing was cancelled by editor" in form
    clock.advance(days=2)
    assert publish_scheduled() == "Nothing is due.\n"
    assert SIX in public_html(Client(), record)


def test_publishing_twice_at_once_publishes_once(db, clock, editor, reviewer):
    record = scheduled_a_day_ahead(clock, editor, reviewer)
    clock.advance(days=1)
    stale = Treatment.objects.get(pk=record.pk)
    assert record.publish_if_due() is True
    assert stale.publish_if_due() is False
    assert record.audit_entries().filter(action=Action.PUBLISHED).count() == 2


# Everyone's queue -----------------------------------------------------------------


def test_an_editor_sees_the_requested_change_with_its_comment_first(
    db, client, editor, reviewer
):
    record = make_treatment(editor, body=SIX)
    first = submit(record, editor)
    record.request_changes(reviewer, first.content_hash, "Say how often, please.")
    make_treatment(editor, slug="draft", title="A draft of mine")
    client.force_login(editor)

    dashboard = client.get("/admin/review/").content.decode()
    index = client.get("/admin/").content.decode()
    form = client.get(admin_url(record, "change")).content.decode()

    requested = dashboard.split("Changes requested of you (1)", 1)[1].split("</ul>")[0]
    assert "Watchful waiting" in requested and "“Say how often, please.”" not in (
        requested
    )
    assert "<q>Say how often, please.</q>" in requested
    assert "A draft of mine" in dashboard.split("Your drafts, not yet submitted")[1]
    assert "1 item needs your action" in index
    # The comment is at the top of the change form, before the fields.
    top = form.split('id="treatment_form"', 1)[0]
    assert "Changes requested by reviewer" in top
    assert "Say how often, please." in top


def test_a_reviewer_sees_who_submitted_and_how_long_it_waited(
    db, client, clock, editor, reviewer
):
    record = make_treatment(editor, body=SIX)
    submit(record, editor)
    clock.advance(hours=3)
    client.force_login(reviewer)

    dashboard = client.get("/admin/review/").content.decode()
    index = client.get("/admin/").content.decode()

    waiting = dashboard.split("Waiting for your review (1)", 1)[1].split("</ul>")[0]
    assert "submitted by editor on June 10, 10:00" in waiting
    assert "waiting 3\xa0hours" in waiting
    assert "1 item needs your action" in index
    assert "Changes requested of you" not in dashboard


def test_nothing_waiting_says_so_on_the_admin_index(db, client, editor):
    client.force_login(editor)
    assert "nothing needs your action" in client.get("/admin/").content.decode()


# Share links -------------------------------------------------------------------------


def make_link(client, record):
    html = client.post(admin_url(record, "share"), follow=True).content.decode()
    return re.findall(r'class="share-link-url"[^>]* value="([^"]+)"', html)[0]


def test_a_revoked_link_answers_like_an_expired_one(
    db, client, editor, second_editor, superuser, settings
):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    link = make_link(client, record).removeprefix(settings.SITE_URL)
    assert Client().get(link).status_code == 200

    other = Client()
    other.force_login(second_editor)
    listed = other.get(admin_url(record, "share")).content.decode()
    assert "No links yet." in listed  # an editor lists their own links
    link_id = record.latest_revision.share_links.get().pk
    refused = other.post(admin_url(record, "revoke_link", link_id))
    assert refused.status_code == 403
    assert Client().get(link).status_code == 200

    done = client.post(admin_url(record, "revoke_link", link_id), follow=True)
    assert "is revoked" in done.content.decode()
    assert "Revoked by editor" in done.content.decode()
    gone = Client().get(link)
    assert gone.status_code == 410
    assert gone.content.decode() == Client().get(link).content.decode()


def test_an_administrator_lists_and_revokes_anyones_links(
    db, client, editor, superuser, settings
):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    link = make_link(client, record).removeprefix(settings.SITE_URL)
    admin_client = Client()
    admin_client.force_login(superuser)
    listed = admin_client.get(admin_url(record, "share")).content.decode()
    assert "made by editor" in listed
    link_id = record.latest_revision.share_links.get().pk
    admin_client.post(admin_url(record, "revoke_link", link_id))
    assert Client().get(link).status_code == 410


# Working together -------------------------------------------------------------------


def test_others_see_who_is_editing_and_until_when(
    db, client, clock, editor, second_editor, reviewer
):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    client.post(admin_url(record, "editing"), {"editing": "start"})

    for user in (second_editor, reviewer):
        other = Client()
        other.force_login(user)
        form = other.get(admin_url(record, "change"))
        assert form.status_code == 200  # never blocks reading
        assert "<strong>editor</strong> is editing this page until 10:30" in (
            form.content.decode()
        )
    clock.advance(minutes=31)
    other = Client()
    other.force_login(second_editor)
    assert (
        "is editing this page"
        not in other.get(admin_url(record, "change")).content.decode()
    )


def test_the_form_can_ask_whether_someone_saved_since_it_was_opened(
    db, client, editor, second_editor
):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    opened = open_change_form(client, record)
    edit(record, second_editor, body=THREE)

    latest = client.get(admin_url(record, "latest")).json()

    assert latest["latest_revision"] != int(opened["base_revision"])
    assert latest["message"].startswith(
        "editor2 saved “Watchful waiting” revision 2 at"
    )
    assert latest["editing"] == ""


def test_a_user_without_access_gets_no_revision_news(db, client, editor):
    record = make_treatment(editor, body=SIX)
    client.force_login(make_user("nobody"))
    assert client.get(admin_url(record, "latest")).status_code == 403


def test_a_reviewer_can_take_back_a_scheduled_approval(
    db, client, clock, editor, reviewer
):
    record = scheduled_a_day_ahead(clock, editor, reviewer)
    client.force_login(reviewer)
    html = client.get(admin_url(record, "review")).content.decode()
    assert "is approved to go live on <strong>June 11, 2026, 10:00</strong>" in html
    assert 'value="cancel_schedule"' in html and 'value="approve"' not in html

    done = client.post(
        admin_url(record, "review"),
        {
            "content_hash": record.latest_revision.content_hash,
            "decision": "cancel_schedule",
        },
        follow=True,
    )

    assert "scheduled publishing cancelled; waiting for review again" in (
        done.content.decode()
    )
    record.refresh_from_db()
    assert (record.review_state, record.go_live_at) == (ReviewState.SUBMITTED, None)
    clock.advance(days=2)
    assert publish_scheduled() == "Nothing is due.\n"


# Every reviewable type has the desk --------------------------------------------------


def make_each_type(editor):
    """One record of each reviewable type with a first revision, and a change to it."""
    records = [
        (make_treatment(editor, body=SIX), {"body": THREE}),
        (
            SideEffect.objects.create(
                slug="tiredness", name="Tiredness", description="Feeling worn out."
            ),
            {"description": "Feeling very worn out."},
        ),
        (
            Page.objects.create(
                slug="overview", title="Overview", summary="About NETs.", body=SIX
            ),
            {"body": THREE},
        ),
        (
            GlossaryTerm.objects.create(
                slug="scan", term="scan", definition="A picture of the inside."
            ),
            {"definition": "A picture of the inside of the body."},
        ),
        (
            ReviewerProfile.objects.create(
                user=make_user("profiled"),
                display_name="Demo Doctor",
                credentials="MD",
            ),
            {"display_name": "Demo Doctor Example", "credentials": "MD, PhD"},
        ),
        (SiteSettings.load(), {"cta_heading": "Call us today"}),
    ]
    for record, _ in records:
        record.save()
        record.save_revision(editor)
    return records


def test_every_reviewable_type_restores_its_first_revision(db, editor, superuser):
    for record, change in make_each_type(editor):
        first = record.latest_revision
        edit(record, editor, **change)
        # Whoever may change the record (editors may not change reviewer profiles).
        restored = record.restore(first, superuser)
        assert restored.number == 3, record
        assert restored.content_hash == first.content_hash, record
        assert record.review_state == ReviewState.DRAFT


def test_every_reviewable_types_history_and_compare_open(db, client, editor, superuser):
    client.force_login(superuser)
    for record, change in make_each_type(editor):
        edit(record, editor, **change)
        opts = record._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        history = client.get(reverse(f"{name}_history", args=[record.pk]))
        assert history.status_code == 200, record
        assert f"History of “{record}”" in history.content.decode()
        compare = client.get(
            reverse(f"{name}_compare", args=[record.pk]) + "?r=1&r=2"
        ).content.decode()
        assert "<ins>" in compare and "changed</span></h3>" in compare, record
        shown = client.get(reverse(f"{name}_revision", args=[record.pk, 1]))
        assert shown.status_code == 200, record


def test_a_revision_opens_readably_in_the_revisions_list(
    db, client, editor, reviewer, superuser
):
    record = three_revisions(editor, reviewer)
    client.force_login(superuser)
    revision = record.revisions().get(number=2)
    html = client.get(
        reverse("admin:editorial_revision_change", args=[revision.pk])
    ).content.decode()
    assert "“Watchful waiting” revision 2" in html
    assert admin_url(record, "revision", 2) in html
    assert "content_hash" not in html and '"body_html"' not in html


def test_a_made_up_record_id_in_the_history_address_is_not_found(db, client, editor):
    client.force_login(editor)
    for object_id in ("999", "abc", "1%2F2"):
        url = f"/admin/treatments/treatment/{object_id}/history/"
        assert client.get(url).status_code == 404, object_id


def test_someone_elses_editing_mark_is_not_taken_over_until_it_expires(
    db, client, clock, editor, second_editor
):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    client.post(admin_url(record, "editing"), {"editing": "start"})
    other = Client()
    other.force_login(second_editor)

    refused = other.post(
        admin_url(record, "editing"), {"editing": "start"}, follow=True
    )
    assert "Editor is already editing this page until 10:30" in (
        refused.content.decode()
    )
    assert EditingMark.objects.current(record).user == editor
    other.post(admin_url(record, "editing"), {"editing": "stop"})  # not theirs
    assert EditingMark.objects.current(record).user == editor

    client.post(admin_url(record, "editing"), {"editing": "start"})  # extends it
    assert (
        timezone.localtime(EditingMark.objects.current(record).expires_at).strftime(
            "%H:%M"
        )
        == "10:30"
    )
    clock.advance(minutes=31)
    other.force_login(second_editor)
    other.post(admin_url(record, "editing"), {"editing": "start"})
    assert EditingMark.objects.current(record).user == second_editor
    client.force_login(editor)
    client.post(admin_url(record, "editing"), {"editing": "stop"})
    assert EditingMark.objects.current(record).user == second_editor
    other.post(admin_url(record, "editing"), {"editing": "stop"})
    assert EditingMark.objects.current(record) is None


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?r=abc",
        "?r=1&r=1",
        "?r=1&r=2&r=3",
        "?r=-1&r=2",
        "?r=1&r=99999999999999",
        # Digits str.isdigit() accepts and int() does not: superscript two, and more
        # digits than int() converts.
        "?r=%C2%B2&r=1",
        "?r=1&r=" + "9" * 5000,
    ],
)
def test_odd_comparisons_get_a_message_never_an_error(
    db, client, editor, reviewer, query
):
    record = three_revisions(editor, reviewer)
    client.force_login(editor)
    response = client.get(admin_url(record, "compare") + query)
    assert response.status_code in (302, 404), response.status_code


@pytest.mark.parametrize(
    "go_live_at, message",
    [
        ("soon", "Enter a valid date/time."),
        ("", "Choose when it should go live."),
        ("2026-11-01T01:30", "it may be ambiguous or it may not exist"),
    ],
)
def test_a_bad_go_live_time_is_named_and_nothing_is_decided(
    db, client, clock, editor, reviewer, go_live_at, message
):
    record = make_published(editor, reviewer, body=SIX)
    edit(record, editor, body=THREE)
    submit(record, editor, "Every 3 months.")
    client.force_login(reviewer)
    response = client.post(
        admin_url(record, "review"),
        {
            "content_hash": record.latest_revision.content_hash,
            "decision": "schedule",
            "go_live_at": go_live_at,
        },
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.SUBMITTED


def test_a_long_text_folds_the_unchanged_paragraphs_away_from_the_change():
    paragraphs = [f"Paragraph {n} says something calm." for n in range(1, 9)]
    changed = [*paragraphs]
    changed[5] = "Paragraph 6 says something new."
    html = text_diff("\n\n".join(paragraphs), "\n\n".join(changed))
    assert html == "\n\n".join(
        [
            '<span class="diff-folded">[4 unchanged paragraphs]</span>',
            "Paragraph 5 says something calm.",
            "Paragraph 6 says something "
            '<del><span class="visually-hidden">removed: </span>calm</del>'
            '<ins><span class="visually-hidden">added: </span>new</ins>.',
            "Paragraph 7 says something calm.",
            "Paragraph 8 says something calm.",
        ]
    )


def test_an_added_paragraph_is_marked_whole():
    html = text_diff("One.\n\nTwo.", "One.\n\nTwo.\n\nThree.")
    assert html == (
        'One.\n\nTwo.\n\n<ins><span class="visually-hidden">added: </span>Three.</ins>'
    )


def test_an_administrator_revokes_links_from_the_list_of_every_link(
    db, client, editor, superuser, settings
):
    record = make_treatment(editor, body=SIX)
    client.force_login(editor)
    link = make_link(client, record).removeprefix(settings.SITE_URL)
    assert (
        client.get(reverse("admin:editorial_sharelink_changelist")).status_code == 403
    )
    admin_client = Client()
    admin_client.force_login(superuser)
    changelist = reverse("admin:editorial_sharelink_changelist")
    listed = admin_client.get(changelist).content.decode()
    assert "Preview link to “Watchful waiting” revision 1" in listed
    admin_client.post(
        changelist,
        {
            "action": "revoke",
            "_selected_action": [record.latest_revision.share_links.get().pk],
        },
    )
    assert Client().get(link).status_code == 410


def test_restoring_a_page_waiting_for_review_withdraws_it_and_says_so(
    db,
    client,
    editor,
    second_editor,
    reviewer,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    record = three_revisions(editor, reviewer)
    submit(record, editor, "Every 3 months.")
    client.force_login(second_editor)
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(admin_url(record, "restore", 1), follow=True)
    assert "It was waiting for review: it is withdrawn now" in done.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT
    run_tasks()  # the worker sends the email
    assert [mail.subject for mail in mailoutbox] == [
        "NET Guide: a page was withdrawn from review"
    ]


def test_scheduled_content_reaches_the_published_files_only_when_it_goes_live(
    published_site, settings, tmp_path, clock, django_capture_on_commit_callbacks
):
    settings.PUBLISH_DIR = str(tmp_path / "publish")
    page = tmp_path / "publish" / "current" / "site" / "side-effects" / "nausea"
    editor, reviewer = published_site
    static_site.publish()
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    new_words = "Feeling sick to your stomach, in words that go live later."
    edit(nausea, editor, description=new_words)
    submit(nausea, editor, "Plainer words.")

    with django_capture_on_commit_callbacks(execute=True):
        nausea.schedule(
            reviewer,
            nausea.latest_revision.content_hash,
            clock.now + timedelta(minutes=1),
        )
    assert queued_tasks() == ["go_live"]  # for its time, with the approval
    assert run_tasks() == []
    assert new_words not in (page / "index.html").read_text()

    clock.advance(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        (went_live,) = run_tasks()  # the worker, at its time; no cron
    assert went_live.return_value == "Published “Nausea” revision 2."
    assert [row.task_name for row in run_tasks()] == ["rebuild_published_files"]
    assert new_words in (page / "index.html").read_text()
    assert static_site.check() == []

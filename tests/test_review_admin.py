"""The review workflow through the real admin: editing, locking, the review screen."""

import re

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from editorial.models import Action, ReviewState, Revision, Step
from treatments.models import Drug, Treatment

from .kit import (
    SLOW_FIT,
    admin_url,
    approve,
    decide,
    edit,
    form_values,
    make_explorer_questions,
    make_full_treatment,
    make_published_full,
    make_user,
    open_change_form,
    public_html,
    save_change_form,
    submit,
)

NEW_BODY = "Your care team checks on the tumor.\n\nYou get a scan once a year."


# Helpers ------------------------------------------------------------------------------


def open_review(client, record):
    response = client.get(admin_url(record, "review"))
    assert response.status_code == 200
    return response.content.decode()


# Editing ------------------------------------------------------------------------------


def test_an_editor_writes_fit_rules_as_lines_and_a_wrong_answer_is_named(
    db, client, editor, reviewer
):
    make_explorer_questions(editor)
    record = make_published_full(editor, reviewer)
    client.force_login(editor)
    data = open_change_form(client, record)
    assert data["fits"] == "grade=low: It may be a choice for a slow tumor."

    refused = save_change_form(
        client, record, data, fits="grade=slow and hormones=yes: It may fit."
    )
    assert "line 1: &#x27;slow&#x27; is not an answer to &#x27;grade&#x27;" in (
        refused.content.decode()
    )
    record.refresh_from_db()
    assert record.fits == [SLOW_FIT]

    save_change_form(
        client,
        record,
        data,
        fits="grade=low unless hormones=yes or extent=spread: It may fit a slow tumor.",
    )
    record.refresh_from_db()
    assert record.fits == [
        {
            "when": ["grade=low"],
            "unless": ["hormones=yes", "extent=spread"],
            "reason": "It may fit a slow tumor.",
        }
    ]
    assert record.latest_revision.snapshot["fits"] == record.fits


def test_an_editor_saves_a_page_with_its_inlines_as_a_new_draft(
    db, client, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    client.force_login(editor)
    data = open_change_form(client, record)

    response = save_change_form(
        client,
        record,
        data,
        body=NEW_BODY,
        **{"questions-1-text": "Will the scan hurt?"},
    )

    assert response.status_code == 200
    assert (
        "Saved as “Watchful waiting” revision 3. It is a draft"
        in response.content.decode()
    )
    record.refresh_from_db()
    assert record.body == NEW_BODY
    assert list(record.questions.values_list("text", flat=True)) == [
        "How often will I get a scan?",
        "Will the scan hurt?",
    ]
    # Everything not touched survives the round trip through the form.
    assert record.fits == [SLOW_FIT]
    assert list(record.drugs.values_list("slug", flat=True)) == ["octreotide"]
    assert record.procedures.get().fits == [SLOW_FIT]
    latest = record.latest_revision
    assert (latest.number, latest.author, latest.contributor_ids) == (
        3,
        editor,
        [editor.pk],
    )
    assert latest.snapshot["questions"][-1] == "Will the scan hurt?"
    assert record.review_state == ReviewState.DRAFT
    assert record.live_revision.number == 2
    assert "You get a scan now and then." in public_html(client, record)


def test_of_two_editors_on_one_page_the_first_save_wins_and_the_second_is_told_why(
    db, client, editor, second_editor
):
    record = make_full_treatment(editor)
    other = Client()
    client.force_login(editor)
    other.force_login(second_editor)
    first_form = open_change_form(client, record)
    second_form = open_change_form(other, record)
    assert first_form["base_revision"] == second_form["base_revision"]

    first = save_change_form(
        client, record, first_form, body="The first editor's words."
    )
    second = save_change_form(
        other, record, second_form, body="The second editor's words."
    )

    assert first.redirect_chain and "Saved as" in first.content.decode()
    assert second.status_code == 200 and not second.redirect_chain
    assert (
        "Not saved: this page changed after you opened it. "
        "“Watchful waiting” revision 3 was saved by editor at"
    ) in second.content.decode()
    record.refresh_from_db()
    assert record.body == "The first editor's words."
    assert (
        record.latest_revision.number == 3 and record.latest_revision.author == editor
    )
    assert record.revisions().count() == 3


def test_a_reloaded_form_saves_after_a_refusal(db, client, editor, second_editor):
    record = make_full_treatment(editor)
    other = Client()
    client.force_login(editor)
    other.force_login(second_editor)
    stale = open_change_form(other, record)
    save_change_form(
        client,
        record,
        open_change_form(client, record),
        body="The first editor's words.",
    )
    assert (
        "Not saved"
        in save_change_form(other, record, stale, body="Mine.").content.decode()
    )

    response = save_change_form(
        other, record, open_change_form(other, record), body="Mine."
    )

    assert "Saved as “Watchful waiting” revision 4" in response.content.decode()
    record.refresh_from_db()
    assert record.body == "Mine."
    assert record.latest_revision.contributor_ids == [editor.pk, second_editor.pk]


# Submitting and withdrawing -----------------------------------------------------------


def test_an_editor_submits_and_withdraws_through_the_admin(db, client, editor):
    record = make_full_treatment(editor)
    client.force_login(editor)

    response = client.post(
        reverse("admin:treatments_treatment_submit", args=[record.pk]),
        {"change_summary": "First version of this page.", "reading_level_reason": ""},
        follow=True,
    )
    assert "was submitted for medical review" in response.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.SUBMITTED

    response = client.post(
        reverse("admin:treatments_treatment_withdraw", args=[record.pk]), follow=True
    )
    assert "Withdrawn from review. It is a draft again." in response.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT


def test_the_submit_screen_refuses_a_missing_change_summary(db, client, editor):
    record = make_full_treatment(editor)
    client.force_login(editor)
    response = client.post(
        reverse("admin:treatments_treatment_submit", args=[record.pk]),
        {"change_summary": "  "},
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT


# The review screen --------------------------------------------------------------------


def edit_and_submit_through_the_admin(
    client, record, body=NEW_BODY, question="Will the scan hurt?"
):
    data = open_change_form(client, record)
    response = save_change_form(
        client, record, data, body=body, **{"questions-1-text": question}
    )
    assert "Saved as" in response.content.decode()
    response = client.post(
        reverse("admin:treatments_treatment_submit", args=[record.pk]),
        {"change_summary": "Said how often scans happen."},
    )
    assert response.status_code == 302


def test_the_review_screen_shows_the_changed_words_field_by_field(
    db, client, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    client.force_login(editor)
    edit_and_submit_through_the_admin(client, record)
    client.force_login(reviewer)

    html = open_review(client, record)

    assert "“Watchful waiting” revision 3</strong> is waiting for your review." in html
    assert "Change summary: “Said how often scans happen.”" in html
    assert "Changes compared with the public version (revision 2)" in html
    # Inside the unchanged sentence, only the changed words are marked.
    assert (
        "You get a scan "
        '<del><span class="visually-hidden">removed: </span>now and then</del>'
        '<ins><span class="visually-hidden">added: </span>once a year</ins>.'
    ) in html
    assert (
        '<li class="part-added"><span class="part-status">Added:</span> '
        '<span class="diff-text"><ins><span class="visually-hidden">added: </span>'
        "Will the scan hurt?</ins></span></li>"
    ) in html
    assert '<h3 id="diff-questions">Questions to ask' in html
    unchanged = re.search(r"<summary>Unchanged \(\d+\): ([^<]*)</summary>", html)
    assert unchanged.group(1).split(", ")[:3] == ["Title", "Summary", "Position"]
    assert "Page text" not in unchanged.group(1)
    assert "How often will I get a scan?</ins>" not in html
    preview = html.split('<div class="patient-preview">', 1)[1].split(
        "<h2>Your decision</h2>", 1
    )[0]
    assert "<p>You get a scan once a year.</p>" in preview
    assert "<li>Will the scan hurt?</li>" in preview
    assert "You get a scan now and then." not in preview
    assert 'value="approve"' in html and 'value="request_changes"' in html


def test_the_review_screen_says_who_submitted_it_and_when_in_one_clean_sentence(
    db, client, editor, reviewer
):
    record = make_full_treatment(editor)
    submit(record, editor, "First version of this page.")
    client.force_login(reviewer)

    html = open_review(client, record)

    sentence = re.search(
        r"Submitted by editor on ([^<]*?) "
        r"Change summary: “First version of this page.”",
        html,
    )
    assert sentence, "no submission sentence on the review screen"
    assert not sentence.group(1).endswith(".."), (
        f"doubled full stop: {sentence.group(0)!r}"
    )


def test_approving_on_the_review_screen_publishes_the_revision(
    db, client, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    client.force_login(editor)
    edit_and_submit_through_the_admin(client, record)
    client.force_login(reviewer)
    content_hash = form_values(open_review(client, record))["content_hash"]

    response = decide(client, record, content_hash, note="Matches the guidelines.")

    assert response.redirect_chain[-1][0] == admin_url(record, "change")
    assert (
        "“Watchful waiting” revision 3: approved and published."
        in response.content.decode()
    )
    record.refresh_from_db()
    assert (
        record.live_revision.number == 3 and record.review_state == ReviewState.APPROVED
    )
    assert (
        record.audit_entries().filter(action=Action.APPROVED).first().note
        == "Matches the guidelines."
    )
    html = public_html(client, record)
    assert "You get a scan once a year." in html and "Will the scan hurt?" in html
    assert "You get a scan now and then." not in html


def test_approving_content_that_changed_since_it_was_opened_publishes_nothing(
    db, client, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    editor_client = Client()
    editor_client.force_login(editor)
    edit_and_submit_through_the_admin(editor_client, record)
    client.force_login(reviewer)
    read_hash = form_values(open_review(client, record))["content_hash"]
    # The editor changes the page again and resubmits while the reviewer reads.
    edit_and_submit_through_the_admin(
        editor_client,
        record,
        body="Your care team checks on the tumor.",
        question="Is it safe?",
    )

    response = decide(client, record, read_hash, note="Looks right to me.")

    html = response.content.decode()
    assert response.redirect_chain == [(admin_url(record, "review"), 302)]
    assert (
        "The content changed after you opened it (now “Watchful waiting” revision 4). "
        "Nothing was approved: please review the new version."
    ) in html
    record.refresh_from_db()
    assert record.live_revision.number == 2
    assert record.review_state == ReviewState.SUBMITTED
    assert record.audit_entries().filter(action=Action.APPROVED).count() == 1
    assert "You get a scan now and then." in public_html(client, record)
    # The screen now shows revision 4 with its own hash and an empty note, so the
    # next Approve is for what the reviewer now sees.
    fresh = form_values(html)
    assert fresh["content_hash"] == record.latest_revision.content_hash != read_hash
    assert fresh["note"] == ""
    assert "Is it safe?" in html
    response = decide(client, record, fresh["content_hash"])
    assert response.redirect_chain == [(admin_url(record, "change"), 302)]
    record.refresh_from_db()
    assert record.live_revision.number == 4


def test_after_the_editor_edits_a_submitted_page_the_reviewer_is_told_and_offered_nothing_stale(
    db, client, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    editor_client = Client()
    editor_client.force_login(editor)
    edit_and_submit_through_the_admin(editor_client, record)
    client.force_login(reviewer)
    read_hash = form_values(open_review(client, record))["content_hash"]

    # The editor is warned before saving, then told it was withdrawn.
    data = open_change_form(editor_client, record)
    form_page = editor_client.get(admin_url(record, "change")).content.decode()
    assert "Saving a change withdraws it from review" in form_page
    saved = save_change_form(editor_client, record, data, summary="A new summary.")
    assert "it is withdrawn now, and the reviewers were told" in saved.content.decode()
    record.refresh_from_db()
    assert record.review_state == ReviewState.DRAFT
    withdrawn = record.audit_entries().filter(action=Action.WITHDRAWN).first()
    assert withdrawn.user == editor and "Edited while waiting" in withdrawn.note

    response = decide(client, record, read_hash, note="Approving what I read.")
    html = response.content.decode()
    assert response.redirect_chain == [(admin_url(record, "review"), 302)]
    assert "Nothing was approved" in html
    assert "Withdrawn from review by editor" in html
    # Only what applies now: confirming the public revision 2, with an empty note.
    fresh = form_values(html)
    assert fresh["note"] == "" and fresh["content_hash"] != read_hash
    assert 'value="approve"' not in html and 'value="request_changes"' not in html
    record.refresh_from_db()
    assert record.live_revision.number == 2 and record.last_reviewed_by == reviewer


def workflow_links(client, record):
    html = client.get(admin_url(record, "change")).content.decode()
    return {
        name
        for name in ("submit", "withdraw", "review")
        if reverse(f"admin:treatments_treatment_{name}", args=[record.pk]) in html
    }


def test_the_buttons_and_the_screens_follow_one_answer_for_role_and_state(
    db, client, editor, reviewer
):
    """Reviewable.available_steps feeds the change form's links and every screen."""
    record = make_full_treatment(editor)
    editor_client, reviewer_client = Client(), client
    editor_client.force_login(editor)
    reviewer_client.force_login(reviewer)
    assert workflow_links(editor_client, record) == {"submit"}  # no Withdraw, no Review
    assert workflow_links(reviewer_client, record) == set()
    # A screen without its button sends the user back with the reason, not a bare 403.
    response = editor_client.get(admin_url(record, "review"))
    assert response.status_code == 403
    text = response.content.decode()
    assert "Only medical reviewers can sign off content." in text
    assert "review.css" in text  # the admin's own page, not a bare 403
    response = editor_client.post(
        reverse("admin:treatments_treatment_withdraw", args=[record.pk]), follow=True
    )
    assert "Only content waiting for review can be withdrawn." in (
        response.content.decode()
    )

    submit(record, editor)
    assert workflow_links(editor_client, record) == {"withdraw"}
    assert workflow_links(reviewer_client, record) == {"review"}
    html = open_review(reviewer_client, record)
    assert 'value="approve"' in html and 'value="request_changes"' in html
    assert 'value="confirm"' not in html

    # A reviewer who edited the page: no Review link, and the POST is refused too.
    edit(record, reviewer, summary="The reviewer's words.")
    submit(record, editor)
    assert workflow_links(reviewer_client, record) == set()
    response = decide(reviewer_client, record, record.latest_revision.content_hash)
    assert "You wrote or edited this revision" in response.content.decode()
    record.refresh_from_db()
    assert record.live_revision is None


def test_requesting_changes_on_the_review_screen_shows_the_comment_to_the_editor(
    db, client, editor, reviewer
):
    record = make_full_treatment(editor)
    submit(record, editor)
    client.force_login(reviewer)
    content_hash = form_values(open_review(client, record))["content_hash"]

    without_comment = decide(client, record, content_hash, "request_changes", note="")
    assert "Please tell the editor what to change." in without_comment.content.decode()
    decide(
        client,
        record,
        content_hash,
        "request_changes",
        note="Say how often the scans happen.",
    )

    record.refresh_from_db()
    assert record.review_state == ReviewState.CHANGES_REQUESTED
    client.force_login(editor)
    html = client.get(admin_url(record, "change")).content.decode()
    assert "Reviewer's comment:</strong> Say how often the scans happen." in html


def test_confirming_a_published_page_on_the_review_screen_keeps_its_revision(
    db, client, django_user_model, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    client.force_login(reviewer)
    html = open_review(client, record)
    assert "Nothing is waiting for review" in html and 'value="confirm"' in html

    response = decide(
        client, record, form_values(html)["content_hash"], "confirm", "Still right."
    )

    assert "confirmed still accurate" in response.content.decode()
    assert record.audit_entries().filter(action=Action.CONFIRMED).count() == 1
    assert Revision.objects.for_object(record).count() == 2


# Sharing ------------------------------------------------------------------------------


def test_the_share_screen_gives_a_link_that_shows_the_draft_to_anyone(
    db, client, editor, reviewer
):
    record = make_published_full(editor, reviewer)
    client.force_login(editor)
    edit_and_submit_through_the_admin(client, record)

    share_url = reverse("admin:treatments_treatment_share", args=[record.pk])
    assert "No links yet." in client.get(share_url).content.decode()
    html = client.post(share_url, follow=True).content.decode()
    assert "A new preview link to “Watchful waiting” revision 3 was made." in html
    link = re.search(r'class="share-link-url"[^>]* value="([^"]+)"', html).group(1)

    assert link.startswith(f"{settings.SITE_URL}/preview/shared/")
    response = Client().get(link.removeprefix(settings.SITE_URL))
    assert response.status_code == 200
    assert "You get a scan once a year." in response.content.decode()
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize("view", ["submit", "withdraw", "review", "share", "change"])
def test_every_workflow_screen_answers_for_staff_with_the_right_role(
    db, client, editor, reviewer, view
):
    record = make_full_treatment(editor)
    if view != "submit":
        submit(record, editor)
    user = reviewer if view == "review" else editor
    client.force_login(user)
    response = client.get(
        reverse(f"admin:treatments_treatment_{view}", args=[record.pk])
    )
    assert response.status_code == 200
    expected = ReviewState.DRAFT if view == "submit" else ReviewState.SUBMITTED
    assert Treatment.objects.get(pk=record.pk).review_state == expected


# Shared records ------------------------------------------------------------------------


def test_a_drug_a_page_shows_is_not_deleted_and_an_edit_to_it_binds_its_author(
    db, client, editor, reviewer, superuser
):
    record = make_published_full(editor, reviewer)
    drug = Drug.objects.get(slug="octreotide")
    client.force_login(superuser)
    delete_url = reverse("admin:treatments_drug_delete", args=[drug.pk])
    page = client.get(delete_url).content.decode()
    assert "is shown on “Watchful waiting”" in page
    response = client.post(delete_url, {"post": "yes"})
    assert response.status_code == 200  # the refusal page again, nothing deleted
    bulk = client.post(
        reverse("admin:treatments_drug_changelist"),
        {"action": "delete_selected", "_selected_action": [drug.pk], "post": "yes"},
    )
    assert "is shown on “Watchful waiting”" in bulk.content.decode()
    assert Drug.objects.filter(pk=drug.pk).exists()
    record.refresh_from_db()
    assert (
        record.latest_revision.number == 2
        and record.latest_revision_id == record.live_revision_id
    )

    # Renaming it is a change to the page, in the superuser's name: not theirs to approve.
    data = form_values(
        client.get(
            reverse("admin:treatments_drug_change", args=[drug.pk])
        ).content.decode(),
        "drug_form",
    )
    client.post(
        reverse("admin:treatments_drug_change", args=[drug.pk]),
        {**data, "brand_name": "Sandostatin LAR", "_save": "Save"},
    )
    record.refresh_from_db()
    revision = record.latest_revision
    assert revision.number == 3 and superuser.pk in revision.contributor_ids
    submit(record, editor)
    assert Step.APPROVE not in record.available_steps(superuser)
    with pytest.raises(PermissionDenied):
        record.approve(superuser, revision.content_hash)
    # An editor's later save keeps the superuser on the revision.
    edit(record, editor, summary="A later edit.")
    assert superuser.pk in record.latest_revision.contributor_ids


def test_an_unused_drug_can_be_deleted(db, client, superuser):
    drug = Drug.objects.create(slug="unused", brand_name="Unused", generic_name="none")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:treatments_drug_delete", args=[drug.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Drug.objects.filter(pk=drug.pk).exists()


# Reviewer profiles ---------------------------------------------------------------------


def test_what_patients_read_about_a_reviewer_is_reviewed_first(
    db, client, django_user_model, editor, reviewer, superuser
):
    from treatments.models import Page, ReviewerProfile

    policy = Page.objects.create(
        slug="policy", title="Policy", summary="How we review.", body="We review."
    )
    policy.save_revision(editor)
    submit(policy, editor)
    approve(policy, reviewer)
    profile = ReviewerProfile.objects.get(user=reviewer)
    client.force_login(superuser)
    url = reverse("admin:treatments_reviewerprofile_change", args=[profile.pk])
    data = form_values(client.get(url).content.decode(), "reviewerprofile_form")
    data.update(
        conflict_of_interest="Paid speaker for a drug maker.",
        credentials="MD, PhD",
        _save="Save",
    )
    assert client.post(url, data).status_code == 302

    def policy_text():
        return Client().get(reverse("treatments:policy")).content.decode()

    assert "Paid speaker" not in policy_text()
    profile.refresh_from_db()
    created = profile.audit_entries().filter(action=Action.CREATED).first()
    assert created.user == superuser
    profile.submit(editor, "New credentials.", "Names and titles.")
    with pytest.raises(PermissionDenied):
        approve(profile, superuser)  # they changed it: not theirs to sign off
    second = make_user("reviewer3", "Medical reviewers")
    approve(profile, second)
    text = policy_text()
    assert "Paid speaker for a drug maker." in text
    assert "Test Reviewer, MD, PhD" in text

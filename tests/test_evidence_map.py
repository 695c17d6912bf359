"""The evidence map (issue 24): sources are reviewed content, every statement
cites a passage or is a confirmed explanation, reviewers see the passages, a
changed passage sends the pages citing it back to review, patients see the
sources."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from editorial.evidence import Statement, statements_in
from editorial.evidence_review import (
    pages_with_changed_evidence,
    published_without_support,
)
from editorial.models import WorkflowError
from editorial.tasks import remind_reviewers
from treatments.models import (
    Drug,
    GlossaryTerm,
    Procedure,
    SideEffect,
    Source,
    Treatment,
)

from .kit import (
    admin_url,
    approve,
    decide,
    edit,
    import_content,
    logged_in,
    make_draft_term,
    make_dual_role,
    make_published,
    make_treatment,
    parse_html,
    public_html,
    public_urls,
    publish,
    sources_only,
    submit,
    the_seed,
)

# Passage texts of content/sources/seed.md, quoted here as a reviewer reads them.
SEED_31 = (
    "The benefit of laparoscopic surgery is a faster recovery, since it’s a less "
    "invasive technique than standard surgery."
)


# Sources are content ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_seed_is_imported_as_a_source_with_its_passages(editor):
    import_content(editor)
    seed = Source.objects.get(slug="seed")
    assert seed.title == "Neuroendocrine tumor treatments"
    assert seed.published.isoformat() == "2022-06-06"
    passages = seed.passages
    assert len(passages) == 92
    assert passages[0]["id"] == 1
    assert passages[0]["text"].startswith("After receiving a neuroendocrine tumor")
    assert seed.latest_revision.snapshot["passages"][91]["id"] == 92


@pytest.mark.django_db
def test_a_source_goes_live_only_with_a_second_persons_approval(reviewer):
    dual = make_dual_role()
    import_content(dual)
    seed = Source.objects.get(slug="seed")
    assert seed.live_revision is None
    submit(seed, dual)
    with pytest.raises(PermissionDenied, match="a second person must sign it off"):
        approve(seed, dual)
    approve(seed, reviewer)
    seed.refresh_from_db()
    assert seed.live_revision.snapshot["title"] == "Neuroendocrine tumor treatments"


@pytest.mark.django_db
def test_an_unknown_passage_in_content_is_refused_on_import(content_copy, editor):
    path = content_copy / "treatments" / "05-hormone-therapy.md"
    text = path.read_text()
    old = "The drugs are usually given as a shot (injection)."
    assert old in text
    path.write_text(text.replace(old, old + " [[seed:999]]", 1))
    with pytest.raises(CommandError) as error:
        import_content(editor, directory=content_copy)
    message = str(error.value)
    assert "05-hormone-therapy.md" in message
    assert "cites passage 999 of “seed”, which has no such passage" in message
    assert not Treatment.objects.exists()


@pytest.mark.django_db
def test_an_unknown_source_is_refused_in_the_admin(editor):
    import_content(editor)
    term = GlossaryTerm.objects.get(slug="abdomen", language="en")
    term.definition = "Your belly. [[label:3]]"
    with pytest.raises(ValidationError) as error:
        term.full_clean()
    assert error.value.message_dict["definition"] == [
        "[[label:3]] cites “label”, which is not a source."
    ]
    term.definition = "Your belly. [[seed:3]]"
    term.full_clean()


# Statements -------------------------------------------------------------------------


def test_a_body_splits_into_statements_with_their_marks():
    body = (
        "## Why it is used\n\n"
        "It may slow growth. [[seed:31]] A hormone is a messenger. [[explains]]\n"
        "It has no mark.\n\n"
        "- Gallstones [[seed:66]]\n"
        "- Nausea, which is feeling sick. It passes. [[seed:67 seed:68]]\n"
    )
    assert statements_in(body, "Page text", markdown=True) == [
        Statement("Page text", "It may slow growth.", (("seed", 31),)),
        Statement("Page text", "A hormone is a messenger.", explains=True),
        Statement("Page text", "It has no mark."),
        Statement("Page text", "Gallstones", (("seed", 66),)),
        Statement(
            "Page text",
            "Nausea, which is feeling sick. It passes.",
            (("seed", 67), ("seed", 68)),
        ),
    ]


def test_sentences_before_one_mark_share_none_of_it():
    assert statements_in("It is a shot. It may help. [[seed:64]]", "Key points 1") == [
        Statement("Key points 1", "It is a shot."),
        Statement("Key points 1", "It may help.", (("seed", 64),)),
    ]


@pytest.mark.django_db
def test_the_marks_are_part_of_the_revision_and_its_hash(editor):
    record = make_treatment(editor, body="It may slow growth. [[seed:31]]")
    first = record.latest_revision
    second = edit(record, editor, body="It may slow growth. [[explains]]")
    assert second.pk != first.pk
    assert second.content_hash != first.content_hash
    assert second.snapshot["body"] == "It may slow growth. [[explains]]"


@pytest.mark.django_db
def test_a_treatment_lists_statements_from_every_part(editor):
    record = make_treatment(
        editor,
        body="## Heading\n\nIt may slow growth. [[seed:31]]",
        key_points=["It is a shot. [[seed:64]]", "It has no mark."],
        aims="To slow growth. [[seed:31]]",
        fits=[{"when": ["hormones=yes"], "unless": [], "reason": "It may help."}],
    )
    found = [
        (each.where, each.text, each.marked)
        for each in record.latest_revision.statements()
    ]
    assert found == [
        ("Key points 1", "It is a shot.", True),
        ("Key points 2", "It has no mark.", False),
        ("Page text", "It may slow growth.", True),
        ("What it aims to do", "To slow growth.", True),
        ("When it may be used 1", "It may help.", False),
    ]


# The reviewer sees the evidence ------------------------------------------------------


@pytest.mark.django_db
@override_settings(EVIDENCE_REQUIRED=True)
def test_approval_is_refused_while_a_statement_is_unmapped(editor, reviewer):
    the_seed(editor, reviewer)
    record = make_treatment(
        editor,
        body="It may slow growth. [[seed:31]] Scans show how it grows.",
        key_points=[
            "It is a shot. [[seed:64]]",
            "A shot is an injection. [[explains]]",
        ],
    )
    submit(record, editor, reason="test")
    with pytest.raises(WorkflowError) as refusal:
        approve(record, reviewer)
    assert str(refusal.value).startswith(
        "1 statement(s) cite no approved passage and are not marked as an "
        "explanation: Page text: “Scans show how it grows.”."
    )
    record.refresh_from_db()
    assert record.live_revision is None
    html = logged_in(reviewer).get(admin_url(record, "review")).content.decode()
    decision = " ".join(parse_html(html).find("p", class_="errornote").text.split())
    assert decision.startswith("1 statement(s) cite no approved passage")
    assert 'value="approve"' not in html

    edit(record, editor, body="It may slow growth. [[seed:31]]")
    submit(record, editor, "Cited.", "test")
    approve(record, reviewer)
    record.refresh_from_db()
    assert record.live_revision_id == record.latest_revision_id


@pytest.mark.django_db
@override_settings(EVIDENCE_REQUIRED=True)
def test_a_citation_of_a_passage_not_yet_approved_is_no_support(editor, reviewer):
    import_content(
        editor, directory=sources_only()
    )  # the seed source is imported but not approved
    record = make_treatment(
        editor, body="It may slow growth. [[seed:31]]", key_points=["A. [[explains]]"]
    )
    submit(record, editor, reason="test")
    with pytest.raises(WorkflowError, match="“It may slow growth.”"):
        approve(record, reviewer)


@pytest.mark.django_db
def test_while_evidence_is_not_required_an_unmapped_page_is_approved_and_reported(
    editor, reviewer
):
    record = make_published(editor, reviewer, body="Scans show how it grows.")
    assert record.live_revision_id is not None
    found = {
        (str(page), statement.text)
        for page, statements in published_without_support()
        for statement in statements
    }
    assert ("Watchful waiting", "Scans show how it grows.") in found


@pytest.mark.django_db
def test_the_review_screen_shows_each_statement_beside_its_passage(editor, reviewer):
    the_seed(editor, reviewer)
    record = make_treatment(
        editor,
        body="Hormone therapy may slow growth. [[seed:31]] "
        "A hormone is a messenger your body makes. [[explains]] "
        "Scans show how it grows.",
        key_points=["It is a shot. [[seed:64]]", "It may help. [[seed:64]]"],
    )
    submit(record, editor, reason="test")
    response = logged_in(reviewer).get(admin_url(record, "review"))
    assert response.status_code == 200
    html = response.content.decode()
    page = parse_html(html)
    evidence = page.find("section", **{"class": "review-evidence"})
    blocks = [block.text for block in evidence.find_all("div")]
    # Statements without support come first.
    unsupported = evidence.find(
        "div", **{"class": "evidence-block evidence-unsupported"}
    )
    assert "“Scans show how it grows.”" in unsupported.text
    assert "Statements without support (1)" in blocks[0]
    explanations = evidence.find(
        "div", **{"class": "evidence-block evidence-explanations"}
    )
    assert "“A hormone is a messenger your body makes.”" in explanations.text
    pairs = {
        " ".join(pair.text.split())
        for pair in evidence.find_all("li", **{"class": "evidence-pair"})
    }
    assert f"Page text Hormone therapy may slow growth. seed:31 {SEED_31}" in pairs


# Evidence-triggered review -----------------------------------------------------------


@pytest.mark.django_db
def test_a_changed_passage_flags_exactly_the_pages_citing_it(editor, reviewer):
    seed = the_seed(editor, reviewer)
    make_published(
        editor, reviewer, slug="cites-31", title="Cites 31", body="A. [[seed:31]]"
    )
    make_published(
        editor,
        reviewer,
        slug="cites-31-and-64",
        title="Cites 31 and 64",
        key_points=["B. [[seed:64 seed:31]]", "C. [[explains]]"],
    )
    make_published(
        editor, reviewer, slug="cites-64", title="Cites 64", body="D. [[seed:64]]"
    )
    make_published(editor, reviewer, slug="cites-none", title="Cites none", body="E.")
    assert pages_with_changed_evidence() == []

    new_text = SEED_31.replace("a faster recovery", "a quicker recovery")
    publish(seed, editor, reviewer, body=seed.body.replace(SEED_31, new_text))

    flagged = {record.slug for record, _changes in pages_with_changed_evidence()}
    assert flagged == {"cites-31", "cites-31-and-64"}
    record, (change,) = pages_with_changed_evidence()[0]
    assert (change.source, change.passage, change.old, change.new) == (
        "seed",
        31,
        SEED_31,
        new_text,
    )
    assert str(change.word_diff()).count("<del") == 1

    # The reviewer reads old and new passage, word by word, and confirms the page.
    page = Treatment.objects.get(slug="cites-31")
    html = logged_in(reviewer).get(admin_url(page, "review")).content.decode()
    assert "Passage 31 of “Neuroendocrine tumor treatments” (seed:31) changed" in html
    assert "faster" in html and "quicker" in html
    out = StringIO()
    call_command("review_status", stdout=out)
    assert "SOURCE CHANGED: Cites 31: Passage 31 of" in out.getvalue()
    decide(logged_in(reviewer), page, page.live_revision.content_hash, "confirm")
    flagged = {record.slug for record, _changes in pages_with_changed_evidence()}
    assert flagged == {"cites-31-and-64"}


@pytest.mark.django_db
def test_a_withdrawn_passage_flags_the_pages_citing_it(editor, reviewer):
    seed = the_seed(editor, reviewer)
    make_published(editor, reviewer, slug="cites-31", body="A. [[seed:31]]")
    publish(seed, editor, reviewer, body=seed.body.replace(f"## 31\n{SEED_31}\n\n", ""))
    ((record, (change,)),) = pages_with_changed_evidence()
    assert record.slug == "cites-31"
    assert change.withdrawn
    assert "was withdrawn" in change.reason


# Patients see the sources ------------------------------------------------------------


@pytest.mark.django_db
def test_a_page_ends_with_its_sources_and_no_marks(client, editor, reviewer):
    the_seed(editor, reviewer)
    record = make_published(
        editor,
        reviewer,
        body="It may slow growth. [[seed:31]] It is fine. [[explains]]",
    )
    html = public_html(client, record)
    assert "[[" not in html
    section = parse_html(html).find("section", **{"class": "page-dates"})
    text = " ".join(section.text.split())
    assert "Where this information comes from" in text
    assert (
        "Neuroendocrine tumor treatments. A cancer center's patient education page, "
        "June 6, 2022." in text
    )
    assert "Last reviewed:" in text


@pytest.mark.django_db
def test_the_sources_section_is_in_spanish_on_spanish_pages(editor, reviewer):
    the_seed(editor, reviewer)
    record = make_published(editor, reviewer, body="Puede frenar. [[seed:31]]")
    with translation.override("es"):
        html = render_to_string(
            "includes/page_dates.html", {"page": record.published_content()}
        )
    text = " ".join(parse_html(html).text.split())
    assert "De dónde viene esta información" in text
    assert "Esta página se basa en esta fuente:" in text
    # A source is quoted in its own language.
    assert "Neuroendocrine tumor treatments." in text


@pytest.mark.django_db
def test_a_page_citing_nothing_lists_no_sources(client, editor, reviewer):
    record = make_published(editor, reviewer)
    html = public_html(client, record)
    assert "page-sources" not in html


@pytest.mark.django_db
def test_no_public_page_shows_an_evidence_mark(client, editor, reviewer):
    the_seed(editor, reviewer)
    record = make_treatment(
        editor,
        slug="marked-option",
        title="Marked option",
        body="It may remove the tumor. [[seed:31]]",
        key_points=["An operation. [[seed:31]]", "You heal. [[explains]]"],
        aims="To take out the tumor. [[seed:31]]",
        how_given="An operation. [[seed:31]]",
        hospital_stay="Often a stay. [[seed:31]]",
        fits=[
            {"when": ["grade=low"], "unless": [], "reason": "It may fit. [[seed:31]]"}
        ],
    )
    effect = SideEffect.objects.create(
        slug="marked-effect",
        name="Marked effect",
        description="Feeling sick. [[seed:67]]",
    )
    record.side_effects.add(effect)
    Procedure.objects.create(
        treatment=record,
        name="Enucleation",
        description="It takes out a small tumor. [[seed:31]]",
    )
    record.drugs.add(
        Drug.objects.create(
            slug="marked-drug",
            brand_name="Sandostatin",
            generic_name="octreotide",
            how_given="usually given as a shot [[seed:64]]",
            description="It may slow growth. [[seed:56]]",
        )
    )
    publish(record, editor, reviewer, title="Marked option")
    term = make_draft_term(
        editor, "abdomen", "abdomen", definition="Your belly. [[explains]]"
    )
    for each in (effect, term):
        publish(each, editor, reviewer)
    pages = {}
    for url in public_urls(languages=("en",)) + [
        reverse("treatments:compare") + "?t=marked-option"
    ]:
        response = client.get(url)
        html = response.content.decode()
        pages[url] = (
            response.status_code,
            [
                html[max(0, at - 80) : at + 20]
                for at in range(len(html))
                if html.startswith("[[", at)
            ],
        )
    shown = {url for url, (status, _marks) in pages.items() if status == 200}
    assert {
        "/treatments/marked-option/",
        "/side-effects/marked-effect/",
        "/glossary/",
    } <= shown
    assert {url: marks for url, (_status, marks) in pages.items() if marks} == {}


# The desk and review_status ------------------------------------------------------


@pytest.mark.django_db
def test_the_desk_and_review_status_list_published_statements_without_support(
    editor, reviewer
):
    the_seed(editor, reviewer)
    make_published(
        editor,
        reviewer,
        body="It may slow growth. [[seed:56]] Scans show how it grows.",
        key_points=["A shot. [[seed:64]]", "A scan is a picture. [[explains]]"],
    )
    html = logged_in(reviewer).get(reverse("admin:review-dashboard")).content.decode()
    (heading,) = parse_html(html).by_id("without-support-queue")
    section = heading.parent
    assert " ".join(section.text.split()).startswith(
        "Published statements without support (1 page) Watchful waiting (treatment, "
        "English): 1 statement cites no approved passage and is not marked as an "
        "explanation, e.g. “Scans show how it grows.”"
    )
    out = StringIO()
    call_command("review_status", "--statements", stdout=out)
    assert (
        "WITHOUT EVIDENCE: Watchful waiting (en) Page text: “Scans show how it grows.”"
        in out.getvalue()
    )
    assert "1 published statement(s) on 1 page(s) cite no approved passage" in (
        out.getvalue()
    )


@pytest.mark.django_db
def test_the_demo_approves_the_seed_source_like_other_demo_content(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=StringIO())
    seed = Source.objects.get(slug="seed")
    assert seed.live_revision_id == seed.latest_revision_id
    assert seed.last_reviewed_by.username == "demo-reviewer"


@pytest.mark.django_db
def test_every_published_statement_of_the_content_is_supported(settings):
    # As `make run` loads it: with evidence required, as in production.
    settings.DEBUG = True
    settings.EVIDENCE_REQUIRED = True
    call_command("load_demo", stdout=StringIO())
    unsupported = [
        f"{record} ({record.language}) {statement.where}: {statement.text}"
        for record, statements in published_without_support()
        for statement in statements
    ]
    assert unsupported == []


def test_an_abbreviation_does_not_end_a_statement():
    text = "The U.S. Food and Drug Administration approved it. [[seed:80]] It is a shot, e.g. Sandostatin. [[seed:64]]"
    assert [each.text for each in statements_in(text, "Page text")] == [
        "The U.S. Food and Drug Administration approved it.",
        "It is a shot, e.g. Sandostatin.",
    ]


@pytest.mark.django_db
def test_a_new_passage_takes_the_next_free_number(editor):
    import_content(editor, directory=sources_only())
    seed = Source.objects.get(slug="seed")
    seed.body += "\n\n## 93\nA new passage."
    seed.full_clean()
    seed.body += "\n\n## 95\nAnother new passage."
    with pytest.raises(ValidationError) as error:
        seed.full_clean()
    assert error.value.message_dict["body"] == [
        "Give passage 95 the next free number (94): a new passage never takes the "
        "number of an earlier one, so citations keep pointing where they did."
    ]


@pytest.mark.django_db
def test_editors_edit_a_source_and_reviewers_read_its_passages_in_the_admin(
    editor, reviewer
):
    import_content(editor, directory=sources_only())
    seed = Source.objects.get(slug="seed")
    form = logged_in(editor).get(admin_url(seed, "change"))
    assert form.status_code == 200
    assert "## 31\nThe benefit of laparoscopic surgery" in form.content.decode()
    submit(seed, editor)
    review = logged_in(reviewer).get(admin_url(seed, "review"))
    assert review.status_code == 200
    quoted = parse_html(review.content.decode()).find("li", id="passage-31")
    assert quoted.text == SEED_31


@pytest.mark.django_db
def test_reviewers_are_reminded_of_a_page_whose_source_changed(
    editor, reviewer, mailoutbox
):
    seed = the_seed(editor, reviewer)
    make_published(editor, reviewer, slug="cites-31", body="A. [[seed:31]]")
    assert remind_reviewers.call() == {"reviewers told": 0}
    publish(seed, editor, reviewer, body=seed.body.replace("faster", "quicker", 1))
    assert remind_reviewers.call() == {"reviewers told": 1}
    assert "1 published page is overdue" in mailoutbox[-1].body

"""The glossary: /glossary/, and hard words on our pages linked to their plain meaning."""

import re
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

from editorial.evidence import without_marks_in
from treatments.glossary import link_terms
from treatments.models import GlossaryTerm

from .kit import (
    TREATMENT_SLUGS,
    Element,
    make_draft_term,
    make_term,
    parse_html,
    parse_response,
)

# Hard medical words a patient may not know. Wherever a public page uses one, a
# published glossary entry must explain it.
KNOWN_HARD_TERMS = [
    "metastasized",
    "metastatic",
    "metastasis",
    "enucleation",
    "somatostatin analog",
    "somatostatin analogs",
    "somatostatin",
    "embolization",
    "radionuclide",
    "biomarker",
    "grade",
    "stage",
    "localized",
    "chemoembolization",
    "debulking",
    "cytoreductive",
    "laparoscopic",
    "palliative",
    "theranostics",
    "PRRT",
    "peptide",
    "receptor",
    "MRI",
    "CT",
    "interventional radiology",
    "gastroenterology",
    "gastroenterologists",
    "ablative",
    "radioactive",
    "molecular",
    "invasive",
    "minimally invasive",
    "neuroendocrine",
    "hormone",
    "biopsy",
    "oncologist",
    "analog",
    "FDA",
]
PAGES_WITH_TERMS = ["/", *(f"/treatments/{slug}/" for slug in TREATMENT_SLUGS)]
SKIPPED_ELEMENTS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "dfn", "code", "pre"}


# Helpers ----------------------------------------------------------------------------


def get_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return parse_response(response)


def published_snapshots():
    """Each published term as patients read it (evidence marks are the reviewer's)."""
    return [
        without_marks_in(t.live_revision.snapshot)
        for t in GlossaryTerm.objects.in_language("en").published()
    ]


def forms_by_slug(snapshots):
    return {s["slug"]: [s["term"], *s["also_matches"]] for s in snapshots}


def uncovered_hard_words(text, glossary_forms):
    """Hard words used in text at a place no glossary word (term or other form) covers."""
    text = " ".join(text.split())
    covered = bytearray(len(text))
    forms = sorted(set(glossary_forms), key=len, reverse=True)
    for form in forms:
        for match in re.finditer(r"\b" + re.escape(form) + r"\b", text, re.IGNORECASE):
            covered[match.start() : match.end()] = b"\x01" * (
                match.end() - match.start()
            )
    missing = set()
    for word in KNOWN_HARD_TERMS:
        for match in re.finditer(r"\b" + re.escape(word) + r"\b", text, re.IGNORECASE):
            if not all(covered[match.start() : match.end()]):
                missing.add(word)
    return sorted(missing)


def combined_pattern(forms_of):
    """Every glossary form, longest first, mapped back to its slug."""
    slug_of = {}
    for slug, forms in forms_of.items():
        for form in forms:
            slug_of.setdefault(form.lower(), slug)
    alternatives = sorted(slug_of, key=len, reverse=True)
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(map(re.escape, alternatives)) + r")(?![\w-])",
        re.IGNORECASE,
    )
    return pattern, slug_of


def term_link_of(element):
    """The a.term a text node sits in, or None."""
    for node in [element, *element.ancestors()]:
        if node.tag == "a" and "term" in (node.attrs.get("class") or "").split():
            return node
    return None


def skipped(element):
    """Text that must never be linked: headings, links (other than term links), code."""
    for node in [element, *element.ancestors()]:
        if node.tag in SKIPPED_ELEMENTS and term_link_of(node) is not node:
            return True
    return False


# /glossary/ ------------------------------------------------------------------------------


def test_the_glossary_lists_every_published_term_with_its_definition(
    site, module_client
):
    root = get_page(module_client, "/glossary/")
    snapshots = published_snapshots()
    glossary_file = Path(settings.CONTENT_DIR) / "glossary.toml"
    assert len(snapshots) == len(
        tomllib.loads(glossary_file.read_text(encoding="utf-8"))["terms"]
    )
    for snapshot in snapshots:
        entries = root.by_id(f"term-{snapshot['slug']}")
        assert len(entries) == 1, snapshot["slug"]
        entry = entries[0]
        assert entry.tag == "dt"
        assert [d.text for d in entry.find_all("dfn")] == [snapshot["term"]]
        siblings = [c for c in entry.parent.children if isinstance(c, Element)]
        definition = siblings[siblings.index(entry) + 1]
        assert definition.tag == "dd"
        assert definition.text == snapshot["definition"]
    assert len(root.find_all("dfn")) == len(snapshots)


def test_the_glossary_groups_terms_under_one_heading_per_letter(site, module_client):
    root = get_page(module_client, "/glossary/")
    letters = [h.text for h in root.find_all("h2") if re.fullmatch(r"[A-Z]", h.text)]
    assert letters == sorted(set(letters))
    for heading in root.find_all("h2"):
        if heading.attrs.get("id", "").startswith("letter-"):
            siblings = [c for c in heading.parent.children if isinstance(c, Element)]
            terms = siblings[siblings.index(heading) + 1].find_all("dfn")
            assert terms and all(t.text[0].upper() == heading.text for t in terms), (
                heading.text
            )


def test_a_renamed_draft_does_not_move_the_published_term_in_the_glossary(
    site, module_client
):
    editor, _ = site
    abdomen = GlossaryTerm.objects.in_language("en").get(slug="abdomen")
    abdomen.term = "Zone below the ribs"
    abdomen.save()
    abdomen.save_revision(editor)

    html = module_client.get("/glossary/").content.decode()
    root = parse_html(html)
    assert "Zone below the ribs" not in html
    ids = [e.attrs["id"] for e in root.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids: a letter is listed twice"
    entry = root.by_id("term-abdomen")[0]
    heading = [c for c in entry.parent.parent.children if isinstance(c, Element)]
    letter = heading[heading.index(entry.parent) - 1]
    assert letter.tag == "h2" and letter.text == "A"


def test_an_unpublished_term_is_neither_listed_nor_linked_until_it_is_approved(
    site, module_client
):
    editor, reviewer = site
    check_up = make_draft_term(
        editor, "check-up", "Check-up", ["check-ups"], "A visit to see how you are."
    )

    glossary = module_client.get("/glossary/").content.decode()
    page = module_client.get("/treatments/active-surveillance/").content.decode()
    assert "term-check-up" not in glossary and "Check-up" not in glossary
    assert "#term-check-up" not in page and "define-check-up" not in page

    check_up.submit(editor, "A new plain meaning for patients.")
    assert "term-check-up" not in module_client.get("/glossary/").content.decode()
    assert (
        "#term-check-up"
        not in module_client.get("/treatments/active-surveillance/").content.decode()
    )

    check_up.approve(reviewer, check_up.latest_revision.content_hash)
    assert "term-check-up" in module_client.get("/glossary/").content.decode()
    root = get_page(module_client, "/treatments/active-surveillance/")
    links = root.find_all("a", href="/glossary/#term-check-up")
    assert [a.text for a in links] == ["check-ups"]


def test_a_pending_change_to_a_definition_is_not_shown_until_approved(
    site, module_client
):
    editor, _ = site
    stage = GlossaryTerm.objects.in_language("en").get(slug="stage")
    approved = "Stage tells how far a tumor has grown or spread in the body."
    assert stage.definition == approved + " [[explains]]"
    stage.definition = "An unreviewed new meaning."
    stage.save()
    stage.save_revision(editor)

    for url in ["/glossary/", "/treatments/clinical-trials/"]:
        html = module_client.get(url).content.decode()
        assert "An unreviewed new meaning." not in html, url
        assert approved in html, url


# Hard words are explained ---------------------------------------------------------------


def test_every_hard_word_on_our_pages_is_in_the_glossary(site, module_client):
    forms = [
        form
        for forms in forms_by_slug(published_snapshots()).values()
        for form in forms
    ]
    missing = {
        url: uncovered_hard_words(get_page(module_client, url).text, forms)
        for url in PAGES_WITH_TERMS
    }
    assert {url: words for url, words in missing.items() if words} == {}


def test_the_hard_word_check_notices_a_word_the_glossary_lacks(site, module_client):
    snapshots = [s for s in published_snapshots() if s["slug"] != "enucleation"]
    forms = [form for forms in forms_by_slug(snapshots).values() for form in forms]
    text = get_page(module_client, "/treatments/surgery/").text
    assert uncovered_hard_words(text, forms) == ["enucleation"]
    assert uncovered_hard_words(
        "We may suggest palliative care.", ["Palliative surgery"]
    ) == ["palliative"]
    assert (
        uncovered_hard_words(
            "We may suggest palliative surgery.", ["Palliative surgery"]
        )
        == []
    )


# Links on our pages -----------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES_WITH_TERMS)
def test_the_first_use_of_each_term_in_the_body_links_to_its_meaning(
    site, module_client, url
):
    root = get_page(module_client, url)
    forms_of = forms_by_slug(published_snapshots())
    definitions = {s["slug"]: s["definition"] for s in published_snapshots()}
    pattern, slug_of = combined_pattern(forms_of)
    prose = root.find_all("div", class_="prose")
    assert len(prose) == 1

    expected_links, seen = [], set()
    for text, element in prose[0].text_nodes():
        if skipped(element):
            continue
        for match in pattern.finditer(text):
            slug = slug_of[match.group(1).lower()]
            link = term_link_of(element)
            if slug in seen:
                assert link is None, f"{url}: a later use of {slug!r} is linked too"
                continue
            seen.add(slug)
            expected_links.append(slug)
            assert link is not None, (
                f"{url}: the first use of {slug!r} ({match.group(1)!r}) is not linked"
            )
            assert match.group(0) == link.text

    links = root.find_all("a", class_="term")
    assert links, url
    assert [a.attrs["href"] for a in links] == [
        f"/glossary/#term-{slug}" for slug in expected_links
    ]
    for link, slug in zip(links, expected_links, strict=True):
        assert link.attrs["aria-describedby"] == f"define-{slug}"
        assert any(p is prose[0] for p in link.ancestors()), "only the body is linked"
        described = root.by_id(f"define-{slug}")
        assert len(described) == 1, (
            f"aria-describedby define-{slug} must name one element"
        )
        assert described[0].text == definitions[slug]
        # Folded away in a <details>: the inline link already explains the word.
        section = [a for a in described[0].ancestors() if a.tag == "details"][0]
        assert "page-terms" in section.attrs["class"].split()
        assert section.find_all("summary")[0].text == (
            f"Words on this page ({len(expected_links)})"
        )

    assert len(root.find_all("details", class_="page-terms")) == 1
    listed = [
        dfn.text
        for dfn in root.find_all("details", class_="page-terms")[0].find_all("dfn")
    ]
    terms = {s["slug"]: s["term"] for s in published_snapshots()}
    assert listed == [terms[slug] for slug in expected_links]


@pytest.mark.parametrize("url", PAGES_WITH_TERMS)
def test_words_in_headings_and_links_are_never_wrapped(site, module_client, url):
    root = get_page(module_client, url)
    for link in root.find_all("a", class_="term"):
        inside = {a.tag for a in link.ancestors()}
        assert not inside & {"a", "h1", "h2", "h3", "h4", "h5", "h6", "dfn"}, (
            url,
            link.text,
        )


def test_a_term_used_first_in_a_heading_is_linked_in_the_text_after_it(
    site, module_client
):
    root = get_page(module_client, "/")
    headings = [h.text for h in root.find_all("div", class_="prose")[0].find_all("h2")]
    assert "Side effects and quality of life" in headings
    links = {a.attrs["href"]: a.text for a in root.find_all("a", class_="term")}
    assert links["/glossary/#term-quality-of-life"] == "quality of life"


def test_in_text_side_effects_are_not_sent_to_the_glossary(site, module_client):
    """The menu's "Side effects" is the list of side effects: the same words in the
    text must not lead somewhere else."""
    for url in ("/", "/treatments/chemotherapy/", "/treatments/hormone-therapy/"):
        root = get_page(module_client, url)
        assert [
            a.text
            for a in root.find_all("a", class_="term")
            if a.text.lower().startswith("side effect")
        ] == [], url


# link_terms itself ---------------------------------------------------------------------------

STAGE = make_term("stage", "Stage")
SOMATOSTATIN = make_term("somatostatin", "Somatostatin")
ANALOG = make_term(
    "somatostatin-analog", "Somatostatin analog", ["somatostatin analogs"]
)
MRI = make_term("mri", "MRI", ["magnetic resonance imaging"])


def link(slug, text):
    return f'<a class="term" href="/glossary/#term-{slug}" aria-describedby="define-{slug}">{text}</a>'


def test_link_terms_prefers_the_longest_form():
    html, used = link_terms(
        "<p>Somatostatin analogs act like somatostatin.</p>", [SOMATOSTATIN, ANALOG]
    )
    assert html == (
        f"<p>{link('somatostatin-analog', 'Somatostatin analogs')} act like "
        f"{link('somatostatin', 'somatostatin')}.</p>"
    )
    assert used == [ANALOG, SOMATOSTATIN]


def test_link_terms_ignores_case_and_keeps_the_words_as_written():
    html, used = link_terms("<p>An mri, then another MRI.</p>", [MRI])
    assert html == f"<p>An {link('mri', 'mri')}, then another MRI.</p>"
    assert used == [MRI]


@pytest.mark.parametrize(
    "text", ["backstage", "stages", "upstaged", "multi-stage", "stage-two", "stage_1"]
)
def test_link_terms_matches_whole_words_only(text):
    html, used = link_terms(f"<p>A {text} plan.</p>", [STAGE])
    assert html == f"<p>A {text} plan.</p>"
    assert used == []


@pytest.mark.parametrize("text", ["(stage)", "stage.", "Stage:", "“stage”", "stage\n"])
def test_link_terms_links_a_word_next_to_punctuation(text):
    html, used = link_terms(f"<p>{text}</p>", [STAGE])
    assert link("stage", text.strip("()“”.:\n")) in html
    assert used == [STAGE]


def test_link_terms_links_only_the_first_use():
    html, used = link_terms(
        "<p>stage one</p><ul><li>Stage two</li><li>stage three</li></ul>", [STAGE]
    )
    assert html.count('class="term"') == 1
    assert html.startswith(f"<p>{link('stage', 'stage')} one</p>")
    assert used == [STAGE]


def test_link_terms_never_changes_attributes():
    source = (
        '<p title="stage MRI"><strong class="stage">x</strong></p>'
        '<p><span data-note="a stage">stage</span></p>'
    )
    html, _ = link_terms(source, [STAGE, MRI])
    assert '<p title="stage MRI">' in html
    assert '<strong class="stage">' in html
    assert f'<span data-note="a stage">{link("stage", "stage")}</span>' in html


@pytest.mark.parametrize(
    "inside",
    [
        '<a href="/stage/">stage</a>',
        "<h2>Stage</h2>",
        "<h3>Stage <em>now</em></h3>",
        "<code>stage</code>",
        "<A HREF='/x'>Stage</A>",
        '<h2><a href="#s">x</a> stage</h2>',
    ],
    ids=[
        "link",
        "h2",
        "h3-with-inline",
        "code",
        "uppercase-link",
        "heading-after-a-link",
    ],
)
def test_link_terms_skips_links_and_headings_and_links_the_next_use(inside):
    html, used = link_terms(f"{inside}<p>Your stage.</p>", [STAGE])
    assert html == f"{inside}<p>Your {link('stage', 'stage')}.</p>"
    assert used == [STAGE]


def test_link_terms_without_terms_changes_nothing():
    assert link_terms("<p>stage</p>", []) == ("<p>stage</p>", [])


@pytest.mark.parametrize(
    "text", ["\u017ftage", "\u0130maging"], ids=["long-s", "dotted-capital-i"]
)
def test_link_terms_does_not_crash_on_unusual_letters(text):
    imaging = make_term("imaging", "Imaging")
    html, used = link_terms(f"<p>{text}</p>", [STAGE, imaging])
    assert text in html or 'class="term"' in html

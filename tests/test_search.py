"""/search/: finding treatments, medicines, side effects and words; only approved text."""

import re
from urllib.parse import quote

import pytest
from django.db import connection

from treatments.models import SearchEntry, SideEffect, Treatment
from treatments.search import snippet as snippet_of

from .kit import (
    REASON,
    approve,
    edit,
    make_side_effect,
    parse_html,
    publish,
    results,
    search_page,
    submit,
    urls,
)

pytestmark = pytest.mark.embedded

PHONE = "(888) 552-6760"
TYPE_A_WORD = "Please type a word to search for"
NOTHING_FOUND = "We found nothing for"


# Helpers ----------------------------------------------------------------------------


def visible(snippet):
    """What a reader sees of a snippet's HTML (each text node decoded on its own, as a browser does)."""
    return "".join(text for text, _ in parse_html(snippet).text_nodes())


def needs_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip(
            "this ranking is PostgreSQL full-text search's (weights and stemming)"
        )


# Finding things -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Sandostatin", "/treatments/hormone-therapy/"),
        ("sandostatin", "/treatments/hormone-therapy/"),
        ("octreotide", "/treatments/hormone-therapy/"),
        ("Somatuline", "/treatments/hormone-therapy/"),
        ("Lutathera", "/treatments/theranostics/"),
        ("LUTATHERA", "/treatments/theranostics/"),
        ("Afinitor", "/treatments/targeted-therapy/"),
        ("nausea", "/side-effects/nausea/"),
        ("gallstones", "/side-effects/gallstones/"),
        ("enucleation", "/glossary/#term-enucleation"),
        ("enucleation", "/treatments/surgery/"),
        ("TheraSphere", "/treatments/radiation-therapy/"),
        ("Medical and editorial policy", "/medical-and-editorial-policy/"),
    ],
)
def test_search_finds_medicines_treatments_side_effects_and_words(
    site, module_client, query, expected
):
    html = search_page(module_client, query)
    assert expected in urls(html), (query, urls(html))
    assert re.search(r"\d+ results? for “", html)


def test_results_say_what_kind_of_page_they_are(site, module_client):
    kinds = {
        url: kind for url, kind, _ in results(search_page(module_client, "enucleation"))
    }
    assert kinds["/treatments/surgery/"] == "Treatment"
    assert kinds["/glossary/#term-enucleation"] == "Word meaning"
    kinds = {
        url: kind for url, kind, _ in results(search_page(module_client, "nausea"))
    }
    assert kinds["/side-effects/nausea/"] == "Side effect"


def test_snippets_mark_the_words_found(site, module_client):
    found = results(search_page(module_client, "nausea"))
    assert found
    snippet = dict((url, s) for url, _, s in found)["/side-effects/nausea/"]
    assert re.search(r"<mark>nausea</mark>", snippet, re.IGNORECASE)
    for url, _, snippet in found:
        marked = re.findall(r"<mark>(.*?)</mark>", snippet)
        assert all(word.lower() == "nausea" for word in marked), url
        if "nausea" in visible(snippet).lower():
            assert marked, url
        assert re.sub(r"</?mark>", "", snippet).count("<") == 0, url


def test_snippets_are_escaped_and_cannot_run_scripts(site, module_client):
    editor, reviewer = site
    rash = make_side_effect(
        editor,
        "zebra-rash",
        "Zebra rash <script>alert(1)</script>",
        'A zebra rash <script>alert(1)</script> has stripes. <img src=x onerror="alert(2)"> Tell your team.',
    )
    publish(rash, editor, reviewer)
    for query in [
        "zebra",
        "stripes",
        "zebra rash",
        "rash stripes",
    ]:
        page = search_page(module_client, query)
        assert "/side-effects/zebra-rash/" in urls(page), query
        assert "<script" not in page.lower(), query
        assert "<img" not in page.lower(), query
        snippet = dict((url, s) for url, _, s in results(page))[
            "/side-effects/zebra-rash/"
        ]
        assert re.sub(r"</?mark>", "", snippet).count("<") == 0, query
        assert "&lt;script&gt;" in re.sub(r"</?mark>", "", snippet), query


def test_highlighting_never_breaks_escaped_characters(site, module_client):
    editor, reviewer = site
    description = (
        "Your team's quietscan & x-ray say \"quiet\". Tell them if it's worse."
    )
    publish(
        make_side_effect(editor, "quiet-scan", "Quiet scan", description),
        editor,
        reviewer,
    )
    entry = SearchEntry.objects.get(url="/side-effects/quiet-scan/")
    # Only entries holding every word are found: the snippet is asked directly for
    # words that spell parts of character references.
    for words in [
        ["quietscan", "x27"],
        ["quietscan", "quot", "amp"],
        ["quietscan", "lt", "gt", "39"],
        ["quietscan", "x", "ray"],
    ]:
        assert visible(snippet_of(entry, words)) == description, words
    assert "/side-effects/quiet-scan/" in urls(
        search_page(module_client, "quietscan x-ray")
    )
    # "x-ray" is a likely query; no snippet may show a broken character reference.
    for url, _, snippet in results(search_page(module_client, "x-ray")):
        assert not re.search(r"&(#\w+|[a-z]+);", visible(snippet)), (url, snippet)


# Odd queries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("q=", "form"),
        ("", "form"),
        ("q=%20%20%20", TYPE_A_WORD),
        ("q=%3F%21.%2C%3B%20-%20%E2%80%94", TYPE_A_WORD),
        ("q=" + "x" * 10000, NOTHING_FOUND),
        ("q=" + "nausea%20" * 2000, "results"),
        ("q=%00", TYPE_A_WORD),
        ("q=a%00b", "any"),
        ("q=%ff%fe", TYPE_A_WORD),
        ("q=" + quote("' OR 1=1 --"), "any"),
        ("q=" + quote("'; DROP TABLE treatments_searchentry; --"), "any"),
        ("q=" + quote("a & | ! ( :*"), "any"),
        ("q=" + quote("nausea:* & !fever | (liver <-> pain)"), "any"),
        ("q=" + quote("%_%"), "any"),
        ("q=" + quote("\\"), TYPE_A_WORD),
        ("q=nausea&q=fever", "any"),
        ("q[]=nausea", "form"),
        ("q=" + quote("😀 🙂"), TYPE_A_WORD),
    ],
    ids=[
        "empty",
        "no-parameter",
        "whitespace",
        "punctuation",
        "10000-characters",
        "many-words",
        "nul",
        "nul-inside",
        "not-utf8",
        "sql-or",
        "sql-drop",
        "tsquery-operators",
        "tsquery-syntax",
        "like-wildcards",
        "backslash",
        "repeated",
        "array-style",
        "emoji",
    ],
)
def test_odd_queries_answer_with_a_helpful_page(site, module_client, raw, expected):
    page = search_page(module_client, raw=raw)
    root = parse_html(page)
    forms = root.find_all("form", role="search")
    assert len(forms) == 1
    box = forms[0].find_all("input", name="q")[0]
    assert len(box.attrs.get("value") or "") <= 200
    main = root.find_all("main")[0].text
    outcomes = {
        "results": bool(results(page)),
        NOTHING_FOUND: NOTHING_FOUND in main and PHONE in main and "/glossary/" in page,
        TYPE_A_WORD: TYPE_A_WORD in main,
        "form": not results(page)
        and NOTHING_FOUND not in main
        and TYPE_A_WORD not in main,
    }
    if expected == "any":
        assert outcomes["results"] or outcomes[NOTHING_FOUND], raw
    else:
        assert outcomes[expected], (raw, main[:300])
    assert "Traceback" not in page


def test_the_query_is_shown_back_escaped(site, module_client):
    page = search_page(module_client, '"><script>alert(1)</script> nausea')
    assert "<script" not in page.lower()
    assert "&lt;script&gt;" in page


# Only approved text ------------------------------------------------------------------------


def test_a_new_side_effect_is_searchable_only_once_approved(site, module_client):
    editor, reviewer = site
    effect = make_side_effect(
        editor, "quokka-fever", "Quokka fever", "A quokkafever makes you warm."
    )
    assert urls(search_page(module_client, "quokkafever")) == []
    submit(effect, editor, reason=REASON)
    assert urls(search_page(module_client, "quokkafever")) == []
    approve(effect, reviewer)
    assert urls(search_page(module_client, "quokkafever")) == [
        "/side-effects/quokka-fever/"
    ]


def test_a_draft_change_is_never_searchable_while_the_approved_text_is(
    site, module_client
):
    editor, reviewer = site
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    approved = nausea.description
    edit(nausea, editor, description="Nausea is a wombatitis feeling in the tummy.")
    assert urls(search_page(module_client, "wombatitis")) == []
    assert "/side-effects/nausea/" in urls(search_page(module_client, "throw up"))
    submit(nausea, editor, reason=REASON)
    assert urls(search_page(module_client, "wombatitis")) == []

    approve(nausea, reviewer)
    assert urls(search_page(module_client, "wombatitis")) == ["/side-effects/nausea/"]
    assert "throw" in approved
    assert "/side-effects/nausea/" not in urls(search_page(module_client, "throw"))


def test_a_draft_change_to_a_treatment_is_not_searchable(site, module_client):
    editor, _ = site
    hormone = Treatment.objects.in_language("en").get(slug="hormone-therapy")
    edit(
        hormone,
        editor,
        summary="Platypusdrug shots for everyone.",
        body=hormone.body + "\n\nPlatypusdrug.",
    )
    assert urls(search_page(module_client, "platypusdrug")) == []
    assert "/treatments/hormone-therapy/" in urls(
        search_page(module_client, "Sandostatin")
    )


def test_a_draft_that_renames_a_page_keeps_results_pointing_at_the_published_address(
    site, module_client
):
    editor, _ = site
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    edit(nausea, editor, slug="feeling-sick")
    assert "/side-effects/nausea/" in urls(search_page(module_client, "nausea"))
    assert module_client.get("/side-effects/nausea/").status_code == 200


# Ranking (PostgreSQL) and typos (both databases) ------------------------------


@pytest.mark.parametrize(
    ("query", "title_match"),
    [
        ("surgery", "/treatments/surgery/"),
        ("hormone", "/treatments/hormone-therapy/"),
        ("radiation", "/treatments/radiation-therapy/"),
    ],
)
def test_a_page_titled_with_the_word_ranks_above_pages_that_only_mention_it(
    site, module_client, query, title_match
):
    needs_postgresql()
    page = search_page(module_client, query)
    titles = re.findall(r'<h2><a href="([^"]*)">(.*?)</a></h2>', page)
    order = [url for url, _ in titles]
    assert title_match in order
    only_mention = [url for url, title in titles if query not in title.lower()]
    assert only_mention, "the word is also used in the text of other pages"
    assert all(order.index(title_match) < order.index(url) for url in only_mention), (
        order
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Sandostain", "/treatments/hormone-therapy/"),
        ("octreotid", "/treatments/hormone-therapy/"),
        ("Luthatera", "/treatments/theranostics/"),
        ("enucleaton", "/glossary/#term-enucleation"),
        ("enucleaton", "/treatments/surgery/"),
    ],
)
def test_small_typos_still_find_the_page(site, module_client, query, expected):
    # On both databases: a word that finds nothing is retried as the name it misspells.
    assert expected in urls(search_page(module_client, query)), query


def test_a_typo_finds_a_title_approved_a_moment_ago(site, module_client):
    # The titles' words are kept between searches: an approval renews them.
    editor, reviewer = site
    assert urls(search_page(module_client, "quokkafevr")) == []
    effect = make_side_effect(
        editor, "quokkafever", "Quokkafever", "Feeling warm after a quokka bite."
    )
    submit(effect, editor, reason=REASON)
    assert urls(search_page(module_client, "quokkafevr")) == []
    approve(effect, reviewer)
    assert urls(search_page(module_client, "quokkafevr")) == [
        "/side-effects/quokkafever/"
    ]


# Finding a treatment by what its page lists -----------------------------------------


def test_a_side_effect_name_finds_the_treatments_that_list_it(site, module_client):
    found = urls(search_page(module_client, "hair loss"))
    assert "/side-effects/hair-loss/" in found
    assert "/treatments/chemotherapy/" in found


def test_a_generic_drug_name_shows_in_the_snippet(site, module_client):
    [(url, _, snippet)] = [
        r
        for r in results(search_page(module_client, "everolimus"))
        if "targeted" in r[0]
    ]
    assert "<mark>everolimus</mark>" in snippet


def test_snippets_keep_headings_apart_from_the_sentence_after_them(site, module_client):
    texts = [
        visible(snippet)
        for url, _, snippet in results(search_page(module_client, "targeted"))
        if url == "/treatments/targeted-therapy/"
    ]
    assert texts
    assert "What it is Targeted" not in " ".join(texts)
    assert "What it is. " in search_entry_text("targeted-therapy")


def search_entry_text(slug):
    return SearchEntry.objects.get(url=f"/treatments/{slug}/").text

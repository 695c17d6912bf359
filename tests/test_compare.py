"""/compare/: two to four treatments side by side, from their reviewed records."""

import pytest

from tests.html_tree import parse_html, parse_response
from treatments.compare import CompareSelection
from treatments.models import Treatment

ASK = "Our pages do not say. Ask your care team."
ROWS = [
    "What it is",
    "What it aims to do",
    "How it is given",
    "When it may be used",
    "Possible side effects",
    "Hospital stay",
    "Questions to ask",
]


@pytest.fixture(scope="module")
def client(module_client):
    return module_client


def published():
    return Treatment.objects.in_language("en").published_contents()


def get_compare(client, query_string):
    response = client.get(f"/compare/?{query_string}")
    assert response.status_code == 200, query_string
    return response, parse_response(response)


def table_of(root):
    """{row heading: {option title: cell text}} of the comparison table."""
    table = root.find_all("table", class_="compare")[0]
    columns = [th.text for th in table.find_all("thead")[0].find_all("th")]
    rows = {}
    for tr in table.find_all("tbody")[0].find_all("tr"):
        heading = tr.find_all("th")[0]
        assert heading.attrs["scope"] == "row"
        cells = tr.find_all("td")
        rows[heading.text] = {
            column: cell.text for column, cell in zip(columns, cells, strict=True)
        }
    return rows


# Normalising the address ----------------------------------------------------------


@pytest.mark.parametrize(
    "requested, slugs, unknown, canonical",
    [
        (["surgery", "hormone-therapy"], ["surgery", "hormone-therapy"], 0, True),
        (["hormone-therapy", "surgery"], ["surgery", "hormone-therapy"], 0, False),
        (["surgery", "surgery", "prrt"], ["surgery", "prrt"], 0, False),
        (["surgery", "no-such-thing", "prrt"], ["surgery", "prrt"], 1, False),
        (["<script>", "SURGERY"], [], 2, False),
        ([], [], 0, True),
    ],
    ids=["canonical", "reordered", "duplicate", "unknown", "junk", "none"],
)
def test_a_comparison_has_one_address_known_slugs_in_home_page_order(
    site, requested, slugs, unknown, canonical
):
    selection = CompareSelection.from_query(requested, published())
    assert selection.slugs == slugs
    assert selection.unknown == unknown
    assert selection.is_canonical is canonical


def test_at_most_four_are_compared_and_the_rest_are_named(site):
    requested = [
        "clinical-trials",
        "prrt",
        "surgery",
        "chemotherapy",
        "active-surveillance",
        "hormone-therapy",
    ]
    selection = CompareSelection.from_query(requested, published())
    assert selection.slugs == [
        "active-surveillance",
        "surgery",
        "chemotherapy",
        "hormone-therapy",
    ]
    assert [p.content["slug"] for p in selection.over_limit] == [
        "prrt",
        "clinical-trials",
    ]
    assert selection.query == (
        "t=active-surveillance&t=surgery&t=chemotherapy&t=hormone-therapy"
    )
    assert not selection.is_canonical


def test_only_the_canonical_address_is_kept_in_the_page_cache(site, client):
    canonical = "t=surgery&t=hormone-therapy"
    assert client.get(f"/compare/?{canonical}")["X-Page-Cache"] == "miss"
    assert client.get(f"/compare/?{canonical}")["X-Page-Cache"] == "hit"
    for odd in ("t=hormone-therapy&t=surgery", "t=surgery&t=hormone-therapy&t=x1"):
        # Not looked up in the cache, nor stored: the page cache leaves it alone.
        assert "X-Page-Cache" not in client.get(f"/compare/?{odd}")
        assert "X-Page-Cache" not in client.get(f"/compare/?{odd}")


# The page ------------------------------------------------------------------------


def test_two_treatments_side_by_side_from_their_reviewed_records(site, client):
    _, root = get_compare(client, "t=surgery&t=hormone-therapy")
    table = root.find_all("table", class_="compare")[0]
    assert table.find_all("caption")[0].text == "Comparing Surgery and Hormone therapy"
    headers = table.find_all("thead")[0].find_all("th")
    assert [(th.text, th.attrs["scope"]) for th in headers] == [
        ("Surgery", "col"),
        ("Hormone therapy", "col"),
    ]
    rows = table_of(root)
    assert list(rows) == ROWS
    assert rows["What it aims to do"] == {
        "Surgery": "To take out the whole tumor, or make it smaller. It may also ease symptoms.",
        "Hormone therapy": "To ease symptoms. It usually does not shrink the tumor, "
        "but it may slow its growth.",
    }
    assert rows["How it is given"]["Hormone therapy"] == "Usually a shot (injection)."
    assert rows["Hospital stay"] == {"Surgery": ASK, "Hormone therapy": ASK}
    assert rows["When it may be used"]["Surgery"] == (
        "Surgery to take out the tumor is often the first step for a NET that has not "
        "spread. When a NET has spread, surgery may still help ease the symptoms it causes."
    )
    assert rows["Possible side effects"] == {
        "Surgery": "Our page does not list side effects for this treatment. Ask your "
        "care team what to expect.",
        "Hormone therapy": "Bloating Gallstones High blood sugar Nausea",
    }
    links = [a.attrs["href"] for a in table.find_all("a")]
    assert "/side-effects/gallstones/" in links
    assert "/treatments/surgery/" in links


def test_what_the_seed_says_fills_a_cell_and_silence_says_ask(site, client):
    _, root = get_compare(
        client, "t=radiation-therapy&t=interventional-radiology&t=clinical-trials"
    )
    rows = table_of(root)
    assert rows["Hospital stay"]["Interventional radiology"] == (
        "You may need to stay one night in the hospital."
    )
    assert rows["What it aims to do"]["Radiation therapy"] == ASK
    assert rows["When it may be used"]["Clinical trials"] == (
        "Your care team can help you look into clinical trials. They test new treatments."
    )


def test_unknown_or_too_many_options_are_dropped_with_a_note(site, client):
    response, root = get_compare(
        client,
        "t=surgery&t=made-up&t=prrt&t=chemotherapy&t=theranostics&t=clinical-trials",
    )
    note = root.find_all("div", class_="notice")[0].text
    assert "Some options in this link were not found, so we left them out." in note
    assert (
        "You can compare up to four options at a time. We left out: Clinical trials."
        in note
    )
    assert list(table_of(root)["What it is"]) == [
        "Surgery",
        "Chemotherapy",
        "PRRT (peptide receptor radionuclide therapy)",
        "Theranostics",
    ]
    robots = [m for m in root.find_all("meta") if m.attrs.get("name") == "robots"]
    assert robots[0].attrs["content"] == "noindex"


@pytest.mark.parametrize("query_string", ["", "t=surgery", "t=nothing&t=surgery"])
def test_fewer_than_two_options_shows_the_picker_only(site, client, query_string):
    _, root = get_compare(client, query_string)
    assert not root.find_all("table")
    boxes = root.find_all("input", type="checkbox")
    assert len(boxes) == 11
    assert {b.attrs["value"] for b in boxes if "checked" in b.attrs} == (
        {"surgery"} if "surgery" in query_string else set()
    )


def test_compare_is_reached_from_home_treatment_pages_and_the_explorer(site, client):
    home = parse_html(client.get("/").content.decode())
    assert "/compare/" in [a.attrs.get("href") for a in home.find_all("a")]
    page = parse_html(client.get("/treatments/prrt/").content.decode())
    links = {a.text: a.attrs.get("href") for a in page.find_all("a")}
    assert links["Compare with another option"] == "/compare/?t=prrt"
    explorer = parse_html(
        client.get("/explore/?grade=low&extent=localized").content.decode()
    )
    links = {a.text: a.attrs.get("href") for a in explorer.find_all("a")}
    assert links["Compare these options"] == "/compare/?t=surgery&t=active-surveillance"


# Key points and side effects on every treatment page ----------------------------------


def test_every_treatment_page_opens_with_two_to_four_key_points(site, client):
    for page in published():
        root = parse_html(
            client.get(f"/treatments/{page.content['slug']}/").content.decode()
        )
        article = root.find_all("article")[0]
        first_section = article.find_all("section")[0]
        assert first_section.attrs["class"] == "key-points", page.content["slug"]
        points = [li.text for li in first_section.find_all("li")]
        assert 2 <= len(points) <= 4, page.content["slug"]
    hormone = parse_html(client.get("/treatments/hormone-therapy/").content.decode())
    assert [
        li.text
        for li in hormone.find_all("section", class_="key-points")[0].find_all("li")
    ] == [
        "It is mainly used to ease symptoms, by controlling the hormone-like substances a NET releases.",
        "It usually does not shrink the tumor, but it may slow its growth.",
        "The drugs are usually given as a shot (injection).",
    ]


def test_every_treatment_page_has_a_side_effects_section_never_silence(site, client):
    silent = []
    for page in published():
        root = parse_html(
            client.get(f"/treatments/{page.content['slug']}/").content.decode()
        )
        section = [
            s
            for s in root.find_all("section")
            if s.attrs.get("aria-labelledby") == "side-effects-heading"
        ]
        assert len(section) == 1, page.content["slug"]
        if section[0].find_all("p", class_="no-side-effects"):
            silent.append(page.content["slug"])
            assert (
                "This page does not list side effects for this treatment."
                in section[0].text
            )
        else:
            assert section[0].find_all("ul", class_="side-effects")
    assert silent == [
        "active-surveillance",
        "surgery",
        "targeted-therapy",
        "radiation-therapy",
        "gastroenterology",
        "prrt",
        "theranostics",
        "clinical-trials",
    ]

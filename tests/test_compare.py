"""/compare/: two to four treatments side by side, from their reviewed records."""

import pytest

from treatments.compare import CompareSelection
from treatments.models import Treatment

from .kit import admin_url, logged_in, parse_html, parse_response

ASK = "Our pages do not say. Ask your care team."
ROWS = [
    "What it is",
    "What it aims to do",
    "How it is given",
    "When it may be used",
    "Hospital stay",
    "Possible side effects and what to think about",
    "Questions to ask",
]
ROW_FALLBACKS = {
    ASK,
    "Our page does not list side effects for this treatment. Ask your care team what "
    "to expect.",
    "Ask your care team what you would like to know.",
}


def published():
    return Treatment.objects.published_pages("en")


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


def test_every_chosen_option_is_compared_none_silently_dropped(site):
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
        "prrt",
        "clinical-trials",
    ]
    assert selection.query == (
        "t=active-surveillance&t=surgery&t=chemotherapy&t=hormone-therapy"
        "&t=prrt&t=clinical-trials"
    )
    assert not selection.is_canonical


def test_only_the_canonical_address_is_kept_in_the_page_cache(site, module_client):
    canonical = "t=surgery&t=hormone-therapy"
    assert module_client.get(f"/compare/?{canonical}")["X-Page-Cache"] == "miss"
    assert module_client.get(f"/compare/?{canonical}")["X-Page-Cache"] == "hit"
    for odd in ("t=hormone-therapy&t=surgery", "t=surgery&t=hormone-therapy&t=x1"):
        # Not looked up in the cache, nor stored: the page cache leaves it alone.
        assert "X-Page-Cache" not in module_client.get(f"/compare/?{odd}")
        assert "X-Page-Cache" not in module_client.get(f"/compare/?{odd}")


# The page ------------------------------------------------------------------------


def test_two_treatments_side_by_side_from_their_reviewed_records(site, module_client):
    _, root = get_compare(module_client, "t=surgery&t=hormone-therapy")
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
    assert rows["Hospital stay"] == {
        "Surgery": "Our source does not say. Small cuts (laparoscopic surgery) may "
        "mean faster healing.",
        "Hormone therapy": "Our source does not say. Ask your care team.",
    }
    assert rows["When it may be used"]["Surgery"] == (
        "Surgery to take out the tumor is often the first step for a NET that has not "
        "spread. When a NET has spread, surgery may still help ease the symptoms it causes."
    )
    assert rows["Possible side effects and what to think about"] == {
        "Surgery": "Which kind of surgery fits depends on where the tumor is.",
        "Hormone therapy": "Bloating Gallstones High blood sugar Nausea It usually "
        "does not shrink the tumor. Your care team may have ideas to help you cope "
        "with side effects.",
    }
    links = [a.attrs["href"] for a in table.find_all("a")]
    assert "/side-effects/gallstones/" in links
    assert "/treatments/surgery/" in links


def test_what_the_seed_says_fills_a_cell_and_silence_says_so(site, module_client):
    _, root = get_compare(
        module_client,
        "t=radiation-therapy&t=interventional-radiology&t=clinical-trials",
    )
    rows = table_of(root)
    assert rows["Hospital stay"]["Interventional radiology"] == (
        "You may need to stay one night in the hospital."
    )
    assert rows["What it aims to do"]["Radiation therapy"] == (
        "To treat the tumor with strong, focused doses of radiation."
    )
    assert rows["Hospital stay"]["Clinical trials"] == (
        "Our source does not say. Ask your care team."
    )
    assert rows["When it may be used"]["Clinical trials"] == (
        "Your care team can help you look into clinical trials. They test new treatments."
    )


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_option_has_the_same_rows_each_cell_from_reviewed_content(
    site, module_client, language
):
    """Balance (IPDAS): comparing all options, no cell falls back to the page's own
    words; each is what a reviewer signed, marks removed."""
    pages = Treatment.objects.published_pages(language)
    prefix = "" if language == "en" else "/es"
    path = "/compare/" if language == "en" else "/es/comparar/"
    query = "&".join(f"t={page.content['slug']}" for page in pages)
    response = module_client.get(f"{path}?{query}")
    assert response.status_code == 200
    root = parse_response(response)
    table = root.find_all("table", class_="compare")[0]
    assert len(table.find_all("thead")[0].find_all("th")) == 11
    fallbacks = ROW_FALLBACKS | {
        "Nuestras páginas no lo dicen. Pregunte a su equipo médico.",
    }
    for tr in table.find_all("tbody")[0].find_all("tr"):
        cells = tr.find_all("td")
        assert len(cells) == 11
        for cell in cells:
            assert cell.text.strip(), (prefix, tr.find_all("th")[0].text)
            assert cell.text.strip() not in fallbacks, (
                tr.find_all("th")[0].text,
                cell.attrs["data-option"],
            )
            assert "[[" not in cell.text


def test_unknown_options_are_dropped_with_a_note_and_all_known_ones_kept(
    site, module_client
):
    response, root = get_compare(
        module_client,
        "t=surgery&t=made-up&t=prrt&t=chemotherapy&t=theranostics&t=clinical-trials",
    )
    note = root.find_all("div", class_="notice")[0].text
    assert "Some options in this link were not found, so we left them out." in note
    assert "up to four" not in note
    assert list(table_of(root)["What it is"]) == [
        "Surgery",
        "Chemotherapy",
        "PRRT (peptide receptor radionuclide therapy)",
        "Theranostics",
        "Clinical trials",
    ]
    robots = [m for m in root.find_all("meta") if m.attrs.get("name") == "robots"]
    assert robots[0].attrs["content"] == "noindex"


@pytest.mark.parametrize("query_string", ["", "t=surgery", "t=nothing&t=surgery"])
def test_fewer_than_two_options_shows_the_picker_only(
    site, module_client, query_string
):
    _, root = get_compare(module_client, query_string)
    assert not root.find_all("table")
    boxes = root.find_all("input", type="checkbox")
    assert len(boxes) == 11
    assert {b.attrs["value"] for b in boxes if "checked" in b.attrs} == (
        {"surgery"} if "surgery" in query_string else set()
    )


def test_compare_is_reached_from_home_treatment_pages_and_the_explorer(
    site, module_client
):
    home = parse_html(module_client.get("/").content.decode())
    assert "/compare/" in [a.attrs.get("href") for a in home.find_all("a")]
    page = parse_html(module_client.get("/treatments/prrt/").content.decode())
    links = {a.text: a.attrs.get("href") for a in page.find_all("a")}
    assert links["Compare with another option"] == "/compare/?t=prrt"
    explorer = parse_html(
        module_client.get("/explore/?grade=low&extent=localized").content.decode()
    )
    links = {a.text: a.attrs.get("href") for a in explorer.find_all("a")}
    # In the guide's order, so the link is the comparison's one (cached) address.
    assert links["Compare all of these options"] == (
        "/compare/?t=active-surveillance&t=surgery"
    )


# Key points and side effects on every treatment page ----------------------------------


def test_every_treatment_page_opens_with_two_to_four_key_points(site, module_client):
    for page in published():
        root = parse_html(
            module_client.get(f"/treatments/{page.content['slug']}/").content.decode()
        )
        article = root.find_all("article")[0]
        first_section = article.find_all("section")[0]
        assert first_section.attrs["class"] == "key-points", page.content["slug"]
        points = [li.text for li in first_section.find_all("li")]
        assert 2 <= len(points) <= 4, page.content["slug"]
    hormone = parse_html(
        module_client.get("/treatments/hormone-therapy/").content.decode()
    )
    assert [
        li.text
        for li in hormone.find_all("section", class_="key-points")[0].find_all("li")
    ] == [
        "It is mainly used to ease symptoms, by controlling the hormone-like substances a NET releases.",
        "It usually does not shrink the tumor, but it may slow its growth.",
        "The drugs are usually given as a shot (injection).",
    ]


def test_every_treatment_page_has_a_side_effects_section_never_silence(
    site, module_client
):
    silent = []
    for page in published():
        root = parse_html(
            module_client.get(f"/treatments/{page.content['slug']}/").content.decode()
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


# Balance on the editorial desk -----------------------------------------------------------


def test_the_shipped_options_are_in_balance(site):
    for record in Treatment.objects.all():
        assert record.balance_warnings() == [], record


def test_the_desk_warns_a_reviewer_when_one_column_is_empty_or_far_longer(site):
    editor, reviewer = site
    surgery = Treatment.objects.get(language="en", slug="surgery")
    surgery.hospital_stay = ""
    surgery.aims = "To take out the whole tumor. " * 20
    surgery.save()
    surgery.save_revision(editor)
    empty = (
        "Compare is out of balance: “Hospital stay” is empty for Surgery, while 10 "
        "other option(s) fill it. Patients comparing them read “Ask your care team” "
        "only here."
    )
    longer = (
        "Compare is out of balance: “What it aims to do” for Surgery is 580 "
        "characters, more than 2 times the longest of the other options (99). A "
        "longer cell can make one option look weightier."
    )
    assert surgery.balance_warnings() == [longer, empty]

    review = logged_in(reviewer).get(admin_url(surgery, "review"))
    assert review.status_code == 200
    summary = parse_html(review.content.decode()).find_all(
        "section", class_="review-summary"
    )[0]
    assert empty in summary.text and longer in summary.text
    change = logged_in(editor).get(admin_url(surgery, "change"))
    warnings = [str(m) for m in change.context["messages"]]
    assert empty in warnings and longer in warnings
    # The Spanish options are weighed among themselves.
    assert Treatment.objects.get(language="es", slug="cirugia").balance_warnings() == []

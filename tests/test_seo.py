"""What search engines and link previews read: titles, descriptions, canonical and
Open Graph tags, the sitemap, robots.txt, JSON-LD, and well-formed HTML."""

import json
import tomllib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.conf import settings
from django.utils import timezone

from editorial.evidence import without_marks_in
from treatments.models import GlossaryTerm, Page, SideEffect, Treatment

from .kit import parse_html, parse_response, public_pages, publish, route_of

BYLINE = "Test Reviewer, MD, Medical reviewer"
TOOL_PAGES = [
    "/explore/",
    "/compare/",
    "/glossary/",
    "/my-questions/",
    "/my-summary/",
    "/search/",
    "/about-this-guide/",
]
DRUGS = {
    "targeted-therapy": {("Afinitor", "everolimus"), ("Sutent", "sunitinib")},
    "hormone-therapy": {
        ("Sandostatin", "octreotide"),
        ("Somatuline Depot", "lanreotide"),
    },
    "theranostics": {("Lutathera", "lutetium Lu 177 dotatate")},
}
# The Spanish pages name the same drugs by their Spanish generic names.
DRUGS_ES = {
    "targeted-therapy": {("Afinitor", "everolimus"), ("Sutent", "sunitinib")},
    "hormone-therapy": {
        ("Sandostatin", "octreotida"),
        ("Somatuline Depot", "lanreotida"),
    },
    "theranostics": {("Lutathera", "lutecio Lu 177 dotatato")},
}
BREAKOUT = "</script><script>alert(1)</script><!--"
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# A review at 9:30 pm in New York, when it is already the next day in UTC.
LATE_EVENING_REVIEW = datetime(2025, 3, 4, 2, 30, tzinfo=UTC)
MIDDAY_REVIEW = datetime(2025, 6, 10, 16, 0, tzinfo=UTC)


# Helpers ----------------------------------------------------------------------------


def public_urls():
    """Every public page once, but the print view of the question list (paper, not
    a page to share: its link preview is the site's)."""
    return [
        url
        for url in public_pages(with_queries=False)
        if route_of(url).url_name != "my-questions-print"
    ]


EDITIONS = ("", "es")  # content/ holds English at the top and Spanish in es/


def content_files(folder_or_file, table=None):
    """How many records content/ holds: Markdown files in a folder, or a TOML table's rows."""
    path = Path(settings.CONTENT_DIR) / folder_or_file
    if table is None:
        return len(list(path.glob("*.md")))
    return len(tomllib.loads(path.read_text(encoding="utf-8"))[table])


class Head:
    """The <title>, <meta> and <link> tags, the JSON-LD blocks and the <time> dates
    of a page."""

    def __init__(self, page):
        self.title = [title.content for title in page.find_all("title")]
        self.metas = [meta.attrs for meta in page.find_all("meta")]
        self.links = [link.attrs for link in page.find_all("link")]
        self.jsonld = [
            script.content
            for script in page.find_all("script", type="application/ld+json")
        ]
        self.times = [time.attrs.get("datetime") for time in page.find_all("time")]

    def meta(self, key, value):
        return [m.get("content") for m in self.metas if m.get(key) == value]

    def link(self, rel):
        return [link.get("href") for link in self.links if link.get("rel") == rel]


def read_head(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return Head(parse_response(response))


def jsonld_of(client, url):
    blocks = read_head(client, url).jsonld
    assert len(blocks) == 1, url
    return json.loads(blocks[0])


def canonical(path):
    return settings.SITE_URL.rstrip("/") + path


def sitemap_entries(client):
    """{path: lastmod or None} of /sitemap.xml."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    entries = {}
    for url in root.findall("s:url", SITEMAP_NS):
        path = urlsplit(url.findtext("s:loc", namespaces=SITEMAP_NS)).path
        assert path not in entries, f"{path} is listed twice"
        entries[path] = url.findtext("s:lastmod", namespaces=SITEMAP_NS)
    return entries


def review_date(record):
    """The day of the last review, as the page shows it (the site's time zone)."""
    return timezone.localdate(record.last_reviewed_at).isoformat()


def set_review_times(model, moment):
    """As if every published record had been reviewed and changed at this moment."""
    model.objects.exclude(live_revision=None).update(
        last_reviewed_at=moment, content_updated_at=moment
    )


def html_problems(html):
    """Strict structure checks a browser would forgive but we do not."""
    page = parse_html(html)
    found = list(page.problems)  # elements closed out of order, or never
    elements = page.iter()[1:]
    ids = Counter(e.attrs["id"] for e in elements if "id" in e.attrs)
    found += [f"duplicate id {id_!r}" for id_, count in ids.items() if count > 1]
    if (h1s := len(page.find_all("h1"))) != 1:
        found.append(f"{h1s} h1 elements")
    languages = [e.attrs.get("lang") for e in page.find_all("html")]
    if not (languages and languages[-1]):
        found.append("no lang on <html>")
    if (mains := len(page.find_all("main"))) != 1:
        found.append(f"{mains} <main> landmarks")
    for nav in page.find_all("nav"):
        if not nav.attrs.get("aria-label", "").strip() and not nav.attrs.get(
            "aria-labelledby"
        ):
            found.append(f"line {nav.line}: <nav> without a label")
    references = []
    for e in elements:
        for name in ("aria-labelledby", "aria-describedby"):
            references += [(name, ref, e.line) for ref in e.attrs.get(name, "").split()]
        if e.tag == "label" and e.attrs.get("for"):
            references.append(("for", e.attrs["for"], e.line))
    found += [
        f"line {line}: {name} names missing id {ref!r}"
        for name, ref, line in references
        if ref not in ids
    ]
    return found


# Titles, descriptions, canonical and Open Graph ----------------------------------------------


def test_every_public_page_has_its_own_title_and_description(site, module_client):
    heads = {url: read_head(module_client, url) for url in public_urls()}
    treatments, side_effects = (
        content_files("treatments"),
        content_files("side-effects.toml", "side_effects"),
    )
    # The overview page is the home page; then the side effect list and the tools,
    # in English and in Spanish (the same number of files in content/es/).
    assert content_files("es/treatments") == treatments == 11
    assert len(heads) == 2 * (
        treatments + side_effects + content_files("pages") + 1 + len(TOOL_PAGES)
    )
    titles = {url: head.title for url, head in heads.items()}
    descriptions = {
        url: head.meta("name", "description") for url, head in heads.items()
    }
    assert all(len(t) == 1 and t[0].strip() for t in titles.values()), titles
    assert all(len(d) == 1 and d[0].strip() for d in descriptions.values()), (
        descriptions
    )
    shared_titles = Counter(t[0] for t in titles.values())
    shared_descriptions = Counter(d[0] for d in descriptions.values())
    assert [t for t, n in shared_titles.items() if n > 1] == []
    assert [d for d, n in shared_descriptions.items() if n > 1] == []


def test_treatment_pages_are_titled_and_described_by_their_approved_content(
    site, module_client
):
    for treatment in Treatment.objects.published():
        content = without_marks_in(treatment.live_revision.snapshot)
        head = read_head(module_client, treatment.get_absolute_url())
        assert head.title[0].startswith(content["title"])
        assert head.meta("name", "description") == [content["summary"]]


def check_canonical_and_open_graph(head, url):
    assert head.link("canonical") == [canonical(url)], url
    assert urlsplit(canonical(url)).scheme in {"http", "https"}
    for prop in ("og:title", "og:description", "og:url", "og:type"):
        values = head.meta("property", prop)
        assert len(values) == 1 and values[0].strip(), (url, prop)
    assert head.meta("property", "og:url") == [canonical(url)], url
    assert head.meta("property", "og:type")[0] in {"website", "article"}


def test_every_public_page_names_its_canonical_address_and_open_graph_tags(
    site, module_client
):
    for url in public_urls():
        check_canonical_and_open_graph(read_head(module_client, url), url)


def test_link_previews_use_the_pages_own_description(site, module_client):
    differing = {}
    for url in public_urls():
        head = read_head(module_client, url)
        if head.meta("property", "og:description") != head.meta("name", "description"):
            differing[url] = head.meta("property", "og:description")
    assert differing == {}


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/treatments/surgery/",
        "/side-effects/",
        "/side-effects/nausea/",
        "/medical-and-editorial-policy/",
        *TOOL_PAGES,
    ],
)
def test_the_canonical_address_leaves_out_the_query_string(site, module_client, url):
    for query in ["?utm_source=newsletter", "?grade=low&liver=yes&t=surgery&q=nausea"]:
        check_canonical_and_open_graph(read_head(module_client, url + query), url)


# The sitemap and robots.txt ----------------------------------------------------------------


def test_the_sitemap_lists_every_published_page_with_its_last_review_date(
    site, module_client
):
    entries = sitemap_entries(module_client)
    expected = {
        **{m.get_absolute_url(): review_date(m) for m in Treatment.objects.published()},
        **{
            e.get_absolute_url(): review_date(e) for e in SideEffect.objects.published()
        },
        **{p.get_absolute_url(): review_date(p) for p in Page.objects.published()},
    }
    # English and Spanish.
    assert len(expected) == 2 * sum(
        [
            content_files("treatments"),
            content_files("side-effects.toml", "side_effects"),
            content_files("pages"),
        ]
    )
    assert {path: entries.get(path) for path in expected} == expected
    assert set(entries) == set(expected) | {
        "/side-effects/",
        "/explore/",
        "/glossary/",
        "/my-questions/",
        "/es/efectos-secundarios/",
        "/es/opciones/",
        "/es/glosario/",
        "/es/mis-preguntas/",
    }


def test_the_sitemap_date_is_the_review_day_in_the_sites_time_zone(site, module_client):
    set_review_times(Treatment, LATE_EVENING_REVIEW)
    entries = sitemap_entries(module_client)
    assert entries["/treatments/surgery/"] == "2025-03-03"


def test_the_sitemap_leaves_out_drafts(site, module_client):
    editor, _ = site
    draft = Treatment.objects.create(
        slug="watchful-waiting",
        title="Watchful waiting",
        summary="A plan.",
        body="Text.",
    )
    draft.save_revision(editor)
    waiting = SideEffect.objects.create(
        slug="itching", name="Itching", description="Your skin itches."
    )
    waiting.save_revision(editor)
    waiting.submit(editor, "A new side effect.", reading_level_reason="Test text.")
    term = GlossaryTerm.objects.create(
        slug="scan", term="Scan", definition="A picture of the inside."
    )
    term.save_revision(editor)

    entries = sitemap_entries(module_client)
    assert "/treatments/watchful-waiting/" not in entries
    assert "/side-effects/itching/" not in entries
    assert not [path for path in entries if "scan" in path]
    assert module_client.get("/treatments/watchful-waiting/").status_code == 404


def test_a_draft_that_renames_a_page_does_not_change_its_address_in_the_sitemap(
    site, module_client
):
    editor, _ = site
    for record in (
        SideEffect.objects.in_language("en").get(slug="nausea"),
        Treatment.objects.in_language("en").get(slug="surgery"),
    ):
        record.slug = f"{record.slug}-renamed-in-a-draft"
        record.save()
        record.save_revision(editor)

    entries = sitemap_entries(module_client)
    assert not [path for path in entries if "renamed-in-a-draft" in path]
    for path in ["/side-effects/nausea/", "/treatments/surgery/"]:
        assert path in entries
        assert module_client.get(path).status_code == 200, path


def test_robots_txt_keeps_crawlers_out_of_admin_and_previews_and_names_the_sitemap(
    site, module_client
):
    response = module_client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = [line.strip() for line in response.content.decode().splitlines()]
    disallowed = [
        line.split(":", 1)[1].strip()
        for line in lines
        if line.lower().startswith("disallow:")
    ]
    assert "/admin/" in disallowed
    assert "/preview/" in disallowed
    for public in [
        "/",
        "/treatments/surgery/",
        "/side-effects/nausea/",
        "/glossary/",
        "/explore/",
    ]:
        assert not any(public.startswith(rule) for rule in disallowed if rule), public
    sitemaps = [
        line.split(":", 1)[1].strip()
        for line in lines
        if line.lower().startswith("sitemap:")
    ]
    assert len(sitemaps) == 1
    assert urlsplit(sitemaps[0]).scheme in {"http", "https"}
    assert urlsplit(sitemaps[0]).path == "/sitemap.xml"
    assert module_client.get(urlsplit(sitemaps[0]).path).status_code == 200


# JSON-LD ---------------------------------------------------------------------------------------


def test_treatment_pages_describe_themselves_as_reviewed_medical_pages(
    site, module_client
):
    set_review_times(Treatment, MIDDAY_REVIEW)
    for treatment in Treatment.objects.published():
        url = treatment.get_absolute_url()
        content = without_marks_in(treatment.live_revision.snapshot)
        data = jsonld_of(module_client, url)
        assert data["@context"] == "https://schema.org"
        assert data["@type"] == "MedicalWebPage"
        assert data["name"] == content["title"]
        assert data["description"] == content["summary"]
        assert data["lastReviewed"] == "2025-06-10" == review_date(treatment)
        assert data["reviewedBy"] == {"@type": "Person", "name": BYLINE}
        assert data["about"]["@type"] == "MedicalCondition"
        therapy = data["mainEntity"]
        assert therapy["@type"] == "MedicalTherapy"
        assert therapy["name"] == content["title"]
        drugs = {
            (d["proprietaryName"], d["nonProprietaryName"])
            for d in therapy.get("drug", [])
        }
        source = treatment.translation_of or treatment
        expected = DRUGS_ES if treatment.language == "es" else DRUGS
        assert drugs == expected.get(source.slug, set()), url
        assert all(d["@type"] == "Drug" for d in therapy.get("drug", []))


def test_the_reviewer_in_json_ld_is_the_one_named_on_the_page(site, module_client):
    html = module_client.get("/treatments/surgery/").content.decode()
    assert f"Medically reviewed by {BYLINE}" in html
    assert (
        jsonld_of(module_client, "/treatments/surgery/")["reviewedBy"]["name"] == BYLINE
    )


@pytest.mark.parametrize(
    "url",
    [
        "/treatments/surgery/",
        "/side-effects/nausea/",
        "/",
        "/medical-and-editorial-policy/",
    ],
)
def test_json_ld_dates_are_the_days_the_page_shows(site, module_client, url):
    for model in (Treatment, SideEffect, Page):
        set_review_times(model, LATE_EVENING_REVIEW)
    head = read_head(module_client, url)
    data = json.loads(head.jsonld[0])
    assert "2025-03-03" in head.times, "the page shows the review day in New York"
    assert data["lastReviewed"] == "2025-03-03", url
    assert data["dateModified"] == "2025-03-03", url


def test_json_ld_names_the_canonical_address(site, module_client, settings):
    settings.SITE_URL = "http://testserver"
    for query in ["", "?utm_source=newsletter"]:
        data = jsonld_of(module_client, "/treatments/surgery/" + query)
        assert data["url"] == "http://testserver/treatments/surgery/", query


def test_other_content_pages_carry_json_ld_too(site, module_client):
    for url in ["/", "/side-effects/nausea/", "/medical-and-editorial-policy/"]:
        data = jsonld_of(module_client, url)
        assert data["@type"] == "MedicalWebPage"
        assert data["about"]["@type"] == "MedicalCondition"
        assert data["reviewedBy"]["name"] == BYLINE


def jsonld_block(html):
    opening = '<script type="application/ld+json">'
    start = html.index(opening) + len(opening)
    return html[start : html.index("</script>", start)]


def test_text_with_a_closing_script_tag_cannot_break_out_of_json_ld(
    site, module_client
):
    editor, reviewer = site
    surgery = Treatment.objects.in_language("en").get(slug="surgery")
    publish(
        surgery,
        editor,
        reviewer,
        title=f"Surgery {BREAKOUT}",
        summary=f"An operation. {BREAKOUT} & more",
    )
    nausea = SideEffect.objects.in_language("en").get(slug="nausea")
    publish(
        nausea,
        editor,
        reviewer,
        name=f"Nausea {BREAKOUT}",
        description=f"Feeling sick. {BREAKOUT}",
    )

    for url, name in [
        ("/treatments/surgery/", f"Surgery {BREAKOUT}"),
        ("/side-effects/nausea/", f"Nausea {BREAKOUT}"),
    ]:
        html = module_client.get(url).content.decode()
        block = jsonld_block(html)
        assert (
            "</script" not in block.lower() and "<!--" not in block and "<" not in block
        )
        data = json.loads(block)
        assert data["name"] == name
        assert html.lower().count("<script") == 1, url
        assert html.lower().count("</script>") == 1, url
        assert html_problems(html) == [], url
    therapy = json.loads(
        jsonld_block(module_client.get("/treatments/surgery/").content.decode())
    )["mainEntity"]
    assert therapy["description"] == f"An operation. {BREAKOUT} & more"


# Well-formed HTML ----------------------------------------------------------------------------


def test_every_public_page_is_well_formed_html(site, module_client):
    urls = public_urls() + [
        "/explore/?grade=low&liver=yes&hormones=yes",
        "/explore/?origin=elsewhere&grade=higher",
        "/explore/?grade=bogus",
        "/my-questions/?t=surgery&t=chemotherapy",
        "/search/?q=nausea",
        "/search/?q=zzzzqqq",
        "/search/?q=%3F%21",
    ]
    problems = {}
    for url in urls:
        response = module_client.get(url)
        assert response.status_code == 200, url
        found = html_problems(response.content.decode())
        if found:
            problems[url] = found
    response = module_client.get("/no-such-page/")
    assert response.status_code == 404
    if found := html_problems(response.content.decode()):
        problems["404"] = found
    assert problems == {}


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<p><em>x</p></em>", "</p> closes <em>"),
        ("<div><p>x</p>", "<div> opened on line 1 is never closed"),
        ('<p id="a"></p><p id="a"></p>', "duplicate id 'a'"),
        ("<h1>a</h1><h1>b</h1>", "2 h1 elements"),
        ("<p>no heading</p>", "0 h1 elements"),
        ("<html><body></body></html>", "no lang on <html>"),
        ("<p>x</p>", "0 <main> landmarks"),
        ("<nav><a href='/'>x</a></nav>", "<nav> without a label"),
        ("<div/>", "<div/> is not a void element"),
        ('<p aria-describedby="define-x">x</p>', "names missing id 'define-x'"),
        ("<br></br>", "</br> closes a void element"),
    ],
)
def test_the_html_checker_reports_each_kind_of_problem(html, problem):
    assert any(problem in found for found in html_problems(html)), html_problems(html)


def test_the_html_checker_accepts_a_small_good_page():
    html = (
        '<!doctype html><html lang="en"><head><title>t</title><meta charset="utf-8"></head>'
        '<body><nav aria-label="Main"><a href="/">x</a></nav><main id="main"><h1>T</h1>'
        '<p>a<br>b</p><script type="application/ld+json">{"a": "</p>"}</script></main></body></html>'
    )
    assert html_problems(html) == []

import re
from datetime import date
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from treatments.models import SideEffect

from .kit import content_treatments, parse_response

PHONE_HREF = "tel:+18885526760"
PHONE_TEXT = "(888) 552-6760"

# Slug and h1 of every treatment page, in the order content/ gives them.
TREATMENTS = content_treatments()
TREATMENT_SLUGS = [slug for slug, _ in TREATMENTS]

SIDE_EFFECTS = [
    ("bloating", "Bloating"),
    ("diarrhea", "Diarrhea"),
    ("elevated-blood-sugar", "High blood sugar"),
    ("fatigue", "Fatigue"),
    ("fever", "Fever"),
    ("gallstones", "Gallstones"),
    ("hair-loss", "Hair loss"),
    ("liver-enzyme-changes", "Changes in liver enzymes"),
    ("liver-pain", "Pain around the liver"),
    ("nausea", "Nausea"),
    ("reduced-appetite", "Poor appetite"),
    ("vomiting", "Vomiting"),
]


def public_pages():
    """(url, expected h1) for every public page."""
    return [
        ("/", "Treatment options for neuroendocrine tumors"),
        *[(f"/treatments/{slug}/", title) for slug, title in TREATMENTS],
        ("/side-effects/", "Possible side effects"),
        *[(f"/side-effects/{slug}/", name) for slug, name in SIDE_EFFECTS],
        (reverse("treatments:policy"), "Medical and editorial policy"),
    ]


def get_page(client, url):
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return parse_response(response)


def get_all_pages(client):
    return {url: get_page(client, url) for url, _ in public_pages()}


def hrefs(element):
    return [a.attrs.get("href") for a in element.find_all("a")]


# Every public page -------------------------------------------------------------
# Publishing the site is the slow part of these tests, so each test below checks
# one whole requirement across every page it concerns.


def has_call_link(element):
    return any(
        a.attrs.get("href") == PHONE_HREF and PHONE_TEXT in a.text
        for a in element.find_all("a")
    )


def has_24_hour_call_to_action(page):
    cta = page.find_all("aside", class_="cta")
    return bool(cta) and "24 hours" in cta[0].text and has_call_link(cta[0])


def last_updated(page):
    """The date of each "Last updated: <time datetime=...>" paragraph on the page."""
    return [
        date.fromisoformat(p.find("time").attrs.get("datetime", ""))
        for p in page.find_all("p")
        if re.match(r"(last )?updated\b", p.text, re.IGNORECASE) and p.find_all("time")
    ]


def off_site_addresses(page):
    """Addresses other than relative, tel:, mailto: or absolute ones to this site."""
    own_site = urlsplit(settings.SITE_URL)[:2]
    found = []
    for element in page.iter():
        for name in ("href", "src", "action", "srcset", "poster", "data"):
            target = urlsplit(element.attrs.get(name, "").strip())
            if target.netloc:
                own = (target.scheme, target.netloc) == own_site
            else:
                own = target.scheme in {"", "tel", "mailto"}
            if not own:
                found.append(f"<{element.tag} {name}={element.attrs[name]!r}>")
    return found


def test_every_public_page_has_the_site_essentials(site, client):
    """One h1 naming it, a tap-to-call link, the 24-hour call to action, a "Last
    updated" date; no cookies and nothing from other sites."""
    problems = []
    for url, heading in public_pages():
        response = client.get(url)
        if response.status_code != 200:
            problems.append((url, f"answered {response.status_code}"))
            continue
        page = parse_response(response)
        if [h1.text for h1 in page.find_all("h1")] != [heading]:
            problems.append((url, f"h1 is not just {heading!r}"))
        if not has_call_link(page):
            problems.append((url, f"no {PHONE_HREF} link showing {PHONE_TEXT}"))
        if not has_24_hour_call_to_action(page):
            problems.append((url, "no call to action mentioning 24 hours"))
        dates = last_updated(page)
        if len(dates) != 1 or dates[0] > timezone.localdate():
            problems.append((url, f"no single 'Last updated' date: {dates}"))
        if "Set-Cookie" in response.headers or response.cookies:
            problems.append((url, "sets a cookie"))
        problems.extend((url, address) for address in off_site_addresses(page))
    assert problems == []


# Treatment pages ---------------------------------------------------------------

SURGERY_TYPES = [
    "Enucleation",
    "Debulking surgery",
    "Cytoreductive surgery",
    "Laparoscopic surgery",
    "Liver transplant",
    "Palliative surgery",
]
DRUGS = {
    "targeted-therapy": [("Afinitor", "everolimus"), ("Sutent", "sunitinib")],
    "hormone-therapy": [
        ("Sandostatin", "octreotide"),
        ("Somatuline Depot", "lanreotide"),
    ],
    "theranostics": [("Lutathera", "lutetium Lu 177 dotatate")],
}


def shown_drugs(page):
    """{brand name: the drug's whole list item text}."""
    items = page.find("ul", class_="drugs").find_all("li")
    return {item.find("strong").text: item.text for item in items}


SIDE_EFFECTS_OF = {
    "chemotherapy": [
        "diarrhea",
        "fatigue",
        "hair-loss",
        "nausea",
        "reduced-appetite",
        "vomiting",
    ],
    "hormone-therapy": ["bloating", "elevated-blood-sugar", "gallstones", "nausea"],
    "interventional-radiology": ["fever", "liver-enzyme-changes", "liver-pain"],
}
# A reason and a question each page must show, word for word.
REASON_AND_QUESTION = {
    "active-surveillance": (
        "Active surveillance may be a choice for a low-grade NET. These tumors tend to grow slowly.",
        "Is my tumor low grade?",
    ),
    "surgery": (
        "Surgery to take out the tumor is often the first step for a NET that has not spread.",
        "Can my whole tumor be taken out?",
    ),
    "chemotherapy": (
        "Chemotherapy is often used when a NET has spread.",
        "Could chemoembolization be a choice for me?",
    ),
    "targeted-therapy": (
        "The right targeted therapy depends on the tumor itself. Your care team may run extra tests to find it.",
        "Do I need more tests to learn about my tumor?",
    ),
    "hormone-therapy": (
        "Hormone therapy is mainly used to control the hormone-like substances a NET releases. It may ease some of the symptoms they cause.",
        "How often will I get my shots, and where?",
    ),
    "radiation-therapy": (
        "Radiation may be used when a tumor is in a place that makes surgery hard.",
        "Could CyberKnife be a choice for me?",
    ),
    "interventional-radiology": (
        "Interventional radiology treats NETs that have spread to the liver.",
        "Will I need to stay in the hospital overnight?",
    ),
    "gastroenterology": (
        "The gastroenterology team offers many treatments for NETs in the digestive (GI) tract.",
        "Is something blocking my GI tract, and can it be cleared?",
    ),
    "prrt": (
        "PRRT may be used for certain NETs. Your care team can tell you if yours is one of them.",
        "Is my type of NET one that PRRT may treat?",
    ),
    "theranostics": (
        "The FDA has approved Lutathera for some types of NETs. Your care team can tell you if it may fit yours.",
        "Is Lutathera approved for the type of NET I have?",
    ),
    "clinical-trials": (
        "Your care team can help you look into clinical trials. They test new treatments.",
        "Is there a clinical trial that might fit me?",
    ),
}


def section_items(page, heading_id):
    """(heading, list item texts) of the section labelled by heading_id."""
    section = page.find("section", **{"aria-labelledby": heading_id})
    return section.find("h2").text, [li.text for li in section.find_all("li")]


def test_treatment_pages_show_what_each_treatment_involves(site, client):
    """Procedures (all six kinds of surgery); drugs by brand and generic name, the
    somatostatin analogs as an injection; side effects linked to their pages; when
    each treatment may be used and what to ask."""
    pages = {slug: get_page(client, f"/treatments/{slug}/") for slug in TREATMENT_SLUGS}

    procedures = pages["surgery"].find("dl", class_="procedures").find_all("dt")
    assert [dt.text for dt in procedures] == SURGERY_TYPES

    for slug, drugs in DRUGS.items():
        shown = shown_drugs(pages[slug])
        assert sorted(shown) == sorted(brand for brand, _ in drugs), slug
        for brand, generic in drugs:
            assert f"{brand} ({generic})" in shown[brand]
            if slug == "hormone-therapy":
                assert "injection" in shown[brand]

    for slug, effects in SIDE_EFFECTS_OF.items():
        listed = hrefs(pages[slug].find("ul", class_="side-effects"))
        assert sorted(listed) == sorted(f"/side-effects/{e}/" for e in effects)

    assert sorted(REASON_AND_QUESTION) == sorted(TREATMENT_SLUGS)
    for slug, (reason, question) in REASON_AND_QUESTION.items():
        heading, reasons = section_items(pages[slug], "when-heading")
        assert heading == "When it may be used"
        assert reason in reasons, slug
        heading, questions = section_items(pages[slug], "questions-heading")
        assert heading == "Questions to ask your care team"
        assert question in questions, slug


def pager_links(page):
    """(rel, href) of the previous/next topic links, in page order."""
    return [
        (a.attrs.get("rel"), a.attrs.get("href"))
        for a in page.find("nav", class_="pager").find_all("a")
    ]


def test_treatments_are_listed_and_paged_in_order(site, client):
    """The home page lists them in order; the first topic has no previous link,
    the last no next, and each one between links both neighbours."""
    cards = get_page(client, "/").find("ul", class_="cards")
    assert hrefs(cards) == [f"/treatments/{slug}/" for slug in TREATMENT_SLUGS]

    pagers = {
        slug: pager_links(get_page(client, f"/treatments/{slug}/"))
        for slug in TREATMENT_SLUGS
    }
    assert pagers["active-surveillance"] == [("next", "/treatments/surgery/")]
    assert pagers["radiation-therapy"] == [
        ("prev", "/treatments/hormone-therapy/"),
        ("next", "/treatments/interventional-radiology/"),
    ]
    assert pagers["clinical-trials"] == [("prev", "/treatments/theranostics/")]
    for index in range(1, len(TREATMENT_SLUGS) - 1):
        before, slug, after = TREATMENT_SLUGS[index - 1 : index + 2]
        assert pagers[slug] == [
            ("prev", f"/treatments/{before}/"),
            ("next", f"/treatments/{after}/"),
        ]


# Side effects ------------------------------------------------------------------


def test_side_effects_are_listed_once_and_shared_between_treatments(site, client):
    """Every side effect is on the list; nausea is one record, on its page
    linked to both chemotherapy and hormone therapy."""
    cards = get_page(client, "/side-effects/").find("ul", class_="cards")
    expected = [f"/side-effects/{slug}/" for slug, _ in SIDE_EFFECTS]
    assert sorted(hrefs(cards)) == sorted(expected)

    assert (
        SideEffect.objects.in_language("en").filter(name__iexact="nausea").count() == 1
    )
    section = get_page(client, "/side-effects/nausea/").find(
        "section", **{"aria-labelledby": "treatments-heading"}
    )
    links = [(a.text, a.attrs["href"]) for a in section.find_all("a")]
    assert links == [
        ("Chemotherapy", "/treatments/chemotherapy/"),
        ("Hormone therapy", "/treatments/hormone-therapy/"),
    ]


# Not found ---------------------------------------------------------------------

UNKNOWN_PATHS = [
    "/treatments/no-such-thing/",
    "/side-effects/nope/",
    "/nope/",
    "/nope",
    "/treatments/%00/",
    "/treatments/../../etc/passwd",
    "/side-effects/%2e%2e/",
    "/treatments/surgery/extra/",
]


def test_unknown_addresses_get_the_friendly_not_found_page(site, client):
    assert settings.DEBUG is False  # so Django renders handler404, not its debug page
    for path in UNKNOWN_PATHS:
        response = client.get(path)
        assert response.status_code == 404, path
        page = parse_response(response)
        assert [h1.text for h1 in page.find_all("h1")] == [
            "We could not find that page"
        ], path
        assert has_call_link(page), path
        assert has_24_hour_call_to_action(page), path
        assert "Set-Cookie" not in response.headers, path


# The seed's facts --------------------------------------------------------------

# Every fact of the seed page, in the words the site uses for it.
SEED_FACTS = [
    # Contact and overview
    PHONE_TEXT,
    "24 hours",
    "shared decision",
    "quality of life",
    "overall health",
    "stage",
    "grade",
    "hormones",
    # Active surveillance
    "Active surveillance",
    "low grade",
    "physical exam",
    "Blood tests",
    "magnetic resonance imaging",
    "computed tomography",
    # Surgery
    "primary tumor",
    "localized",
    "Enucleation",
    "Debulking",
    "Cytoreductive",
    "Laparoscopic",
    "Liver transplant",
    "Palliative",
    # Chemotherapy
    "Chemotherapy",
    "Chemoembolization",
    "metastasized",
    "Hair loss",
    "Poor appetite",
    "Fatigue",
    "Nausea",
    "Vomiting",
    "Diarrhea",
    # Targeted therapy
    "Targeted therapy",
    "genes, proteins",
    "healthy cells",
    "extra tests",
    "Afinitor",
    "everolimus",
    "Sutent",
    "sunitinib",
    # Hormone therapy
    "Hormone therapy",
    "somatostatin",
    "somatostatin analogs",
    "insulin",
    "injection",
    "Sandostatin",
    "octreotide",
    "Somatuline Depot",
    "lanreotide",
    "High blood sugar",
    "Gallstones",
    "Bloating",
    # Radiation therapy
    "Radiation therapy",
    "CyberKnife",
    "non-invasive",
    "radiation oncologists",
    "TheraSphere",
    "SIR-Spheres",
    # Interventional radiology
    "Interventional radiology",
    "Embolization",
    "overnight",
    "liver enzymes",
    "Fever",
    "Pain around the liver",
    # Gastroenterology
    "Gastroenterology",
    "minimally invasive",
    "Ablative",
    "breathing problems",
    # PRRT and theranostics
    "peptide receptor radionuclide therapy",
    "PRRT",
    "molecular targeted therapy",
    "Theranostics",
    "biomarker",
    "Food and Drug Administration",
    "Lutathera",
    "Lu 177 dotatate",
    "radioactive",
    # Clinical trials
    "clinical trial",
    "research study",
    "standard approach",
    "different dose",
]


def test_every_fact_of_the_seed_page_is_on_the_site(site, client):
    site_text = " ".join(
        page.find("body").text for page in get_all_pages(client).values()
    )
    missing = [
        fact
        for fact in SEED_FACTS
        if not re.search(rf"(?<!\w){re.escape(fact)}(?!\w)", site_text, re.IGNORECASE)
    ]
    assert missing == []


# A phone in a waiting room ---------------------------------------------------------


def test_the_home_page_lists_the_options_right_after_a_short_introduction(site, client):
    root = get_page(client, "/")
    main = root.find_all("main")[0]
    first_blocks = [
        e.tag
        for e in main.children
        if getattr(e, "tag", None) in {"h1", "p", "section", "div"}
    ]
    assert first_blocks[:3] == ["h1", "p", "section"]
    assert main.find_all("section")[0].attrs["id"] == "options"
    menu = {a.text: a.attrs["href"] for a in root.find_all("nav")[0].find_all("a")}
    assert menu["Treatments"] == "/#options"


@pytest.mark.parametrize(
    "url, current",
    [
        ("/", ("Treatments", "page")),
        ("/treatments/surgery/", ("Treatments", "true")),
        ("/explore/", ("Find my options", "page")),
        ("/compare/", ("Compare", "page")),
        ("/side-effects/nausea/", ("Side effects", "true")),
        ("/glossary/", ("Words explained", "page")),
    ],
)
def test_the_menu_marks_where_the_reader_is(site, client, url, current):
    nav = get_page(client, url).find_all("nav")[0]
    marked = [
        (a.text, a.attrs["aria-current"])
        for a in nav.find_all("a")
        if "aria-current" in a.attrs
    ]
    assert marked == [current]


def test_every_treatment_page_has_a_contents_list_of_its_sections(site, client):
    for slug in TREATMENT_SLUGS:
        root = get_page(client, f"/treatments/{slug}/")
        contents = [
            n
            for n in root.find_all("nav")
            if n.attrs.get("aria-labelledby") == "contents-heading"
        ]
        assert len(contents) == 1, slug
        targets = [a.attrs["href"].lstrip("#") for a in contents[0].find_all("a")]
        assert "side-effects-heading" in targets, slug
        for target in targets:
            assert len(root.find_all(None, id=target)) == 1, (slug, target)
    surgery = get_page(client, "/treatments/surgery/")
    contents = [
        n
        for n in surgery.find_all("nav")
        if n.attrs.get("aria-labelledby") == "contents-heading"
    ][0]
    assert [a.text for a in contents.find_all("a")][-4:] == [
        "When it may be used",
        "Types and procedures",
        "Possible side effects",
        "Questions to ask",
    ]


def test_medicines_read_as_one_sentence(site, client):
    drugs = get_page(client, "/treatments/hormone-therapy/").find_all(
        "ul", class_="drugs"
    )[0]
    assert (
        "Sandostatin (octreotide), usually given as a shot (injection)." in drugs.text
    )
    assert "given Usually" not in drugs.text


def test_no_treatment_page_says_when_it_may_be_used_twice(site, client):
    for slug in TREATMENT_SLUGS:
        headings = [
            h.text for h in get_page(client, f"/treatments/{slug}/").find_all("h2")
        ]
        assert headings.count("When it may be used") <= 1, slug


@pytest.mark.parametrize(
    "url, stretched",
    [
        ("/treatments/radiation-therapy/", "new option"),
        ("/treatments/gastroenterology/", "gentle"),
        (
            "/treatments/interventional-radiology/",
            "Some side effects may show up in the days or weeks",
        ),
        (
            "/treatments/targeted-therapy/",
            "which your care team may check with extra tests",
        ),
        ("/treatments/prrt/", "which your care team may check with extra tests"),
        ("/treatments/clinical-trials/", "at any stage"),
        ("/treatments/surgery/", "main tumor"),
        ("/glossary/", "Hormone therapy uses drugs that act like a natural hormone"),
    ],
)
def test_text_stays_within_what_our_source_says(site, client, url, stretched):
    assert stretched.lower() not in get_page(client, url).text.lower()


def test_the_policy_page_says_where_the_facts_come_from(site, client):
    text = get_page(client, "/medical-and-editorial-policy/").text
    assert "trusted medical sources" not in text
    assert "June 2022" in text
    assert "Reviewed for accuracy by" in text
    assert "Medically reviewed by" not in text
    assert "Medically reviewed by" in get_page(client, "/treatments/surgery/").text


def test_the_privacy_notice_is_in_every_footer(site, client):
    for url in ("/", "/treatments/surgery/", "/explore/", "/glossary/"):
        footer = get_page(client, url).find_all("footer")[0]
        assert "/privacy/" in hrefs(footer), url


def test_my_questions_has_a_print_view_and_a_tap_to_call_number(site, client):
    root = get_page(client, "/my-questions/?t=surgery&t=chemotherapy")
    links = {a.text: a.attrs["href"] for a in root.find_all("a")}
    assert links["Print view"] == "/my-questions/print/?t=surgery&t=chemotherapy"
    assert links[PHONE_TEXT] == PHONE_HREF
    printed = get_page(client, "/my-questions/print/?t=surgery&t=chemotherapy")
    assert printed.find_all("body")[0].attrs["class"] == "print-view"
    assert [
        h.text
        for h in printed.find_all("section", class_="question-sheet")[0].find_all("h2")
    ] == ["Surgery"]
    assert not printed.find_all("form")


def test_every_page_prints_the_phone_number(site, client):
    for url in (
        "/",
        "/treatments/surgery/",
        "/compare/?t=surgery&t=prrt",
        "/my-questions/print/?t=prrt",
    ):
        footer = get_page(client, url).find_all("footer")[0]
        printed = footer.find_all("p", class_="print-only")
        assert printed and PHONE_TEXT in printed[0].text, url


def test_short_names_are_spelled_out_at_their_first_use(site, client):
    """ "GI" on the home page and "NET" on the surgery page come after their long form."""
    home = get_page(client, "/").find_all("main")[0].text
    assert home.index("GI") == home.index("digestive (GI) tract") + len("digestive (")
    surgery = get_page(client, "/treatments/surgery/").find_all("main")[0].text
    first_net = re.search(r"\bNET\b", surgery).start()
    assert surgery[: first_net + 4].endswith("neuroendocrine tumor (NET)")

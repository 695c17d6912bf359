"""Search synonyms: the words patients use for the guide's words, reviewed content
(content/synonyms.toml, content/es/synonyms.toml) that search reads only once
approved; and the calm answer when the guide may not cover a query."""

from urllib.parse import quote

import pytest
from django.core.exceptions import ValidationError

from treatments.content_files import ContentError, load_content_dir
from treatments.models import Synonym

from .kit import (
    REASON,
    admin_url,
    approve,
    edit,
    logged_in,
    parse_html,
    search_page,
    submit,
    urls,
)

pytestmark = pytest.mark.embedded

HAIR_LOSS = "/side-effects/hair-loss/"


def new_synonym(editor, **fields):
    values = {
        "slug": "wombat-hair",
        "means": "hair loss",
        "words": ["wombat hair"],
        "reason": "Wombat hair is a made-up name for hair loss. [[explains]]",
        **fields,
    }
    synonym = Synonym.objects.create(**values)
    synonym.save_revision(editor)
    return synonym


def test_a_synonym_finds_the_guide_page_only_once_approved(site, module_client):
    editor, reviewer = site
    assert urls(search_page(module_client, "wombat hair")) == []
    synonym = new_synonym(editor)
    assert urls(search_page(module_client, "wombat hair")) == []
    submit(synonym, editor, reason=REASON)
    assert urls(search_page(module_client, "wombat hair")) == []
    approve(synonym, reviewer)
    assert urls(search_page(module_client, "wombat hair"))[0] == HAIR_LOSS


def test_a_draft_change_to_a_synonym_is_not_searched_with(site, module_client):
    editor, _ = site
    synonym = Synonym.objects.in_language("en").get(slug="hair-loss")
    assert urls(search_page(module_client, "losing my hair"))[0] == HAIR_LOSS
    edit(synonym, editor, words=["wombat fur"])
    assert urls(search_page(module_client, "wombat fur")) == []
    assert urls(search_page(module_client, "losing my hair"))[0] == HAIR_LOSS


def test_a_synonym_of_one_language_does_not_search_the_other(site, module_client):
    assert urls(search_page(module_client, "cabello")) == []
    found = urls(page_in_spanish(module_client, "caída del cabello"))
    assert found[0] == "/es/efectos-secundarios/hair-loss/"


def page_in_spanish(client, query):
    response = client.get("/es/buscar/?q=" + quote(query))
    assert response.status_code == 200
    return response.content.decode()


def test_stop_words_are_not_highlighted_or_searched(site, module_client):
    html = page_in_spanish(module_client, "caída del cabello")
    assert "<mark>del</mark>" not in html.lower()
    assert "<mark>pelo</mark>" in html.lower()


@pytest.mark.parametrize(
    ("path", "query", "may_not_cover", "explore"),
    [
        ("/search/", "carcinoid", "This guide may not cover", "/explore/"),
        ("/search/", "how long will I live", "This guide may not cover", "/explore/"),
        ("/es/buscar/", "carcinoide", "Puede que esta guía no trate", "/es/opciones/"),
    ],
)
def test_a_query_the_guide_does_not_cover_gets_a_calm_answer(
    site, module_client, path, query, may_not_cover, explore
):
    html = module_client.get(f"{path}?q={quote(query)}").content.decode()
    main = parse_html(html).find_all("main")[0]
    assert urls(html) == []
    assert may_not_cover in main.text
    assert "(888) 552-6760" in main.text
    links = {a.attrs.get("href"): a.text.strip() for a in main.find_all("a")}
    assert links[explore] in ("Find my options", "Mis opciones")
    assert "tel:" in " ".join(links)


def test_policy_pages_come_after_the_guide_unless_named(site, module_client):
    assert urls(search_page(module_client, "privacy"))[0] == "/privacy/"
    found = urls(search_page(module_client, "team"))
    assert "/privacy/" in found
    guide = [
        url
        for url in found
        if url not in ("/privacy/", "/medical-and-editorial-policy/")
    ]
    assert guide and found.index("/privacy/") > found.index(guide[-1])


# The content files -------------------------------------------------------------


def test_a_synonym_file_entry_needs_its_evidence_mark(content_copy):
    path = content_copy / "synonyms.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            'reason = "An operation is surgery. [[explains]]"',
            'reason = "An operation is surgery."',
        ),
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="evidence mark"):
        load_content_dir(content_copy)


def test_a_spanish_synonym_translates_an_english_one(content_copy):
    path = content_copy / "es" / "synonyms.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '\n[[synonyms]]\nslug = "no-such-entry"\nmeans = "x"\nwords = []\n'
        'reason = "X. [[explains]]"\n',
        encoding="utf-8",
    )
    with pytest.raises(ContentError, match="no-such-entry"):
        load_content_dir(content_copy)


def test_the_admin_refuses_a_reason_without_its_mark(site):
    editor, _ = site
    synonym = Synonym(
        slug="x",
        means="surgery",
        words=["op"],
        reason="An op is surgery.",
        language="en",
    )
    with pytest.raises(ValidationError, match="evidence mark"):
        synonym.full_clean()


def test_an_editor_edits_a_synonym_and_a_reviewer_reads_it_in_review(site):
    editor, reviewer = site
    synonym = Synonym.objects.in_language("en").get(slug="surgery")
    page = logged_in(editor).get(admin_url(synonym, "change"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Words patients use" in html and "operation" in html
    edit(synonym, editor, words=["operation", "op"])
    submit(synonym, editor, reason=REASON)
    review = logged_in(reviewer).get(admin_url(synonym, "review"))
    assert review.status_code == 200
    assert "[[explains]]" in review.content.decode()

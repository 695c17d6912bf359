"""Evidence marks are kept in content and never shown to patients."""

import pytest

from editorial.evidence import without_marks
from treatments.markdown import render_markdown

from .kit import CONTENT_DIR, public_urls


def test_marks_and_the_space_before_them_are_removed_for_patients():
    text = (
        "It may slow growth. [[seed:56]] An analog acts like something your body"
        " makes. [[explains]] It is given as a shot. [[seed:64 seed:56]]"
    )
    assert without_marks(text) == (
        "It may slow growth. An analog acts like something your body makes."
        " It is given as a shot."
    )


def test_text_that_only_looks_like_a_mark_is_left_alone():
    assert without_marks("See [[notes]] and [seed:1].") == "See [[notes]] and [seed:1]."


def test_rendered_markdown_shows_no_marks():
    assert render_markdown("- Gallstones [[seed:66]]\n- Nausea [[seed:67]]") == (
        "<ul>\n<li>Gallstones</li>\n<li>Nausea</li>\n</ul>"
    )


# Every public page of both languages, as the published content/ renders it -------

# Addresses that show the most content text at once: search snippets, the compare
# table (summary, aims, how given, hospital stay, questions), printed questions.
MORE_ADDRESSES = [
    "/search/?q=somatostatin",
    "/search/?q=liver",
    "/es/buscar/?q=octreotida",
    "/es/buscar/?q=h%C3%ADgado",
    "/compare/?t=surgery&t=interventional-radiology&t=hormone-therapy&t=prrt",
    "/es/comparar/?t=cirugia&t=radiologia-intervencionista&t=terapia-hormonal",
    "/my-questions/print/?t=surgery&t=chemotherapy",
    "/es/mis-preguntas/imprimir/?t=cirugia&t=quimioterapia",
]


@pytest.mark.django_db
def test_no_public_page_of_either_language_shows_an_evidence_mark(site, module_client):
    assert "[[seed:" in (CONTENT_DIR / "treatments" / "02-surgery.md").read_text()
    showing = []
    for url in public_urls() + MORE_ADDRESSES:
        response = module_client.get(url)
        assert response.status_code == 200, url
        if b"[[" in response.content:
            showing.append(url)
    assert showing == []

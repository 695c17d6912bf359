"""The Spanish edition as patients read it: every page under /es/ with Spanish
addresses and Spanish words, linked to the same page in English, found by Spanish
search, and the appointment form in Spanish."""

import json
import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest
from django.db import OperationalError
from django.test import Client, RequestFactory
from django.utils import translation

from appointments.models import AppointmentRequest
from netguide.middleware import DatabaseUnavailableMiddleware
from treatments.search import search

from .kit import PATIENT, open_form, parse_response, post_form, run_tasks

# Every public page of the Spanish edition, with the h1 it opens with.
SPANISH_PAGES = {
    "/es/": "Opciones de tratamiento para los tumores neuroendocrinos",
    "/es/tratamientos/vigilancia-activa/": "Vigilancia activa",
    "/es/tratamientos/cirugia/": "Cirugía",
    "/es/tratamientos/quimioterapia/": "Quimioterapia",
    "/es/tratamientos/terapia-dirigida/": "Terapia dirigida",
    "/es/tratamientos/terapia-hormonal/": "Terapia hormonal",
    "/es/tratamientos/radioterapia/": "Radioterapia",
    "/es/tratamientos/radiologia-intervencionista/": "Radiología intervencionista",
    "/es/tratamientos/gastroenterologia/": "Gastroenterología",
    "/es/tratamientos/prrt/": (
        "PRRT (terapia con radionúclidos dirigida a receptores de péptidos)"
    ),
    "/es/tratamientos/teranostica/": "Teranóstica",
    "/es/tratamientos/ensayos-clinicos/": "Ensayos clínicos",
    "/es/efectos-secundarios/": "Posibles efectos secundarios",
    "/es/efectos-secundarios/diarrhea/": "Diarrea",
    "/es/efectos-secundarios/elevated-blood-sugar/": "Nivel alto de azúcar en la sangre",
    "/es/glosario/": "Palabras médicas explicadas",
    "/es/buscar/": "Buscar",
    "/es/opciones/": "Encuentre opciones que pueden ser adecuadas para usted",
    "/es/comparar/": "Comparar opciones de tratamiento",
    "/es/mis-preguntas/": "Prepare preguntas para su cita",
    "/es/citas/solicitar/": "Pedir una cita",
    "/es/politica-medica-y-editorial/": "Política médica y editorial",
    "/es/privacidad/": "Aviso de privacidad",
}

# Words of English interface text that are not Spanish words too.
ENGLISH_WORDS = set(
    """the and your you with this that what when how page treatment treatments side
    effects questions search compare call about please skip main reviewed updated
    print back next previous choose pick send request appointment words explained
    find options care team show change answers medicines sure yes emergency privacy
    policy notice our we it is of for to or may not here more read see list""".split()
)
# Names that stay as they are in Spanish: the site's name, the other language's name
# in its own language, medicine brand and generic names, the test reviewer's byline,
# the sources' titles.
PROPER_NOUNS = [
    "NET Guide",
    "English",
    "Somatuline Depot",
    "lutecio Lu 177 dotatato",
    "Test Reviewer, MD, Medical reviewer",
    # A source is cited as it names itself, in its own language.
    "Neuroendocrine tumor treatments",
    "A cancer center's patient education page",
]


class PageText:
    """What a person reads or hears on a page: its text, its title, the labels
    screen readers announce, its description, and its links."""

    READ_ATTRIBUTES = ("aria-label", "title", "alt", "placeholder")
    SKIPPED = ("script", "style")

    def __init__(self, page):
        languages = [html.raw_attrs for html in page.find_all("html")]
        self.lang = dict(languages[-1]).get("lang") if languages else None
        headings = page.find_all("h1")
        self.h1 = headings[-1].text if headings else ""
        self.links = [
            a.attrs["href"] for a in page.find_all("a") if a.attrs.get("href")
        ]
        self.text = " ".join("".join(self.parts(page)).split())

    def parts(self, element):
        """Its words and the words of what it holds, in document order."""
        for child in element.children:
            if isinstance(child, str):
                yield child
                continue
            if child.tag == "meta" and child.attrs.get("name") == "description":
                yield f" {child.attrs.get('content', '')} "
            yield from (
                f" {child.attrs[name]} "
                for name in self.READ_ATTRIBUTES
                if name in child.attrs
            )
            if child.tag not in self.SKIPPED:
                yield from self.parts(child)


def read(response):
    return PageText(parse_response(response))


def english_words_in(text):
    for name in PROPER_NOUNS:
        text = text.replace(name, " ")
    return sorted(
        {w for w in re.findall(r"[A-Za-z]+", text) if w.lower() in ENGLISH_WORDS}
    )


def test_every_spanish_page_answers_at_its_spanish_address(site, client):
    for url, h1 in SPANISH_PAGES.items():
        response = client.get(url)
        assert response.status_code == 200, url
        page = read(response)
        assert (page.lang, page.h1) == ("es", h1), url
        if url != "/es/citas/solicitar/":  # the form's CSRF cookie, as in English
            assert not response.cookies, url  # no cookies on public pages


def test_the_english_site_keeps_its_addresses(site, client):
    for url, h1 in {
        "/": "Treatment options for neuroendocrine tumors",
        "/treatments/surgery/": "Surgery",
        "/explore/": "Find options that may fit your situation",
        "/appointments/request/": "Ask for an appointment",
    }.items():
        page = read(client.get(url))
        assert (page.lang, page.h1) == ("en", h1), url


def crawl_spanish(client):
    """Every /es/ page reachable from the Spanish home page, plus the tools with
    answers given and the pages shown for mistakes: {url: response}."""
    seen, queue = {}, ["/es/"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        seen[url] = response
        for href in read(response).links:
            target = urljoin(url, href)
            path = urlsplit(target)
            if path.netloc or not path.path.startswith("/es/"):
                continue
            queue.append(path.path + (f"?{path.query}" if path.query else ""))
    for url in [
        "/es/citas/solicitar/",
        "/es/opciones/?origin=gi&grade=low&hormones=yes&extent=spread&liver=yes"
        "&surgery=no&show=1",
        "/es/opciones/?extent=localized&liver=yes&show=1",  # answers that disagree
        "/es/opciones/?show=1",  # nothing answered
        "/es/opciones/?origin=moon&show=1",  # an answer that does not exist
        "/es/comparar/?t=cirugia&t=prrt&t=quimioterapia&t=radioterapia&t=teranostica",
        "/es/comparar/?t=cirugia",
        "/es/comparar/?t=cirugia&t=surgery",
        "/es/buscar/?q=cirugia",
        "/es/buscar/?q=zzzz",
        "/es/buscar/?q=+",
        "/es/mis-preguntas/imprimir/?t=cirugia",
        "/es/mis-preguntas/imprimir/",
    ]:
        seen[url] = client.get(url)
    return seen


def test_no_english_interface_words_on_any_spanish_page(site, client):
    pages = crawl_spanish(client)
    # The crawl reached every treatment, side effect and tool page from the links.
    assert set(SPANISH_PAGES) <= set(pages)
    assert (
        len([url for url in pages if url.startswith("/es/efectos-secundarios/")]) == 13
    )
    _, csrf, token = open_form(Client(enforce_csrf_checks=True), "/es/citas/solicitar/")
    pages["form with mistakes"] = Client().post(
        "/es/citas/solicitar/", {"submission_token": token, "phone": "12"}
    )
    pages["not found"] = client.get("/es/no-existe/")
    assert pages["not found"].status_code == 404
    found = {url: english_words_in(read(r).text) for url, r in pages.items()}
    assert {url: words for url, words in found.items() if words} == {}
    # The check itself finds English when it is there.
    assert english_words_in(read(client.get("/treatments/surgery/")).text)


def test_the_spanish_form_explains_mistakes_in_spanish(site):
    client = Client(enforce_csrf_checks=True)
    _, csrf, token = open_form(client, "/es/citas/solicitar/")
    response = client.post(
        "/es/citas/solicitar/",
        {"csrfmiddlewaretoken": csrf, "submission_token": token, "phone": "555-01"},
    )
    text = read(response).text
    assert "Error: por favor, corrija 5 cosas más abajo" in text
    assert "Por favor, díganos su nombre." in text
    assert (
        "Su número de teléfono es muy corto. Escriba los 10 números con el código de "
        "área, por ejemplo (555) 123-4567."
    ) in text
    assert (
        "Marque la casilla para aceptar que nuestro equipo de citas le contacte."
        in text
    )


def test_a_request_sent_in_spanish_says_so_to_the_team(
    site, mailoutbox, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)
    form, csrf, token = open_form(
        client, "/es/citas/solicitar/?from=/es/tratamientos/cirugia/"
    )
    page = form.content.decode()
    # The call's language starts as the page's, and the treatment is the one read.
    assert re.search(
        r'<input type="radio" name="language" value="es"[^>]*checked', page
    )
    assert re.search(r'<option value="cirugia" selected>Cirugía</option>', page)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/es/citas/solicitar/",
            {
                "csrfmiddlewaretoken": csrf,
                "submission_token": token,
                **PATIENT,
                "language": "es",
            },
        )
    assert response.status_code == 302
    assert response["Location"] == "/es/citas/solicitar/enviada/"
    sent = read(client.get(response["Location"]))
    assert sent.h1 == "Gracias. Recibimos su solicitud."
    saved = AppointmentRequest.objects.get()
    assert (saved.site_language, saved.language) == ("es", "es")
    run_tasks()  # the worker sends the email
    assert "The patient used the site in Spanish." in mailoutbox[0].body
    # Back to the form: the "already sent" page, in Spanish, on the Spanish path only.
    assert client.cookies["appointment_sent"]["path"] == "/es/citas/solicitar/"
    again = read(client.get("/es/citas/solicitar/"))
    assert again.h1 == "Usted ya envió una solicitud"


def test_an_english_request_says_english(
    site, mailoutbox, django_capture_on_commit_callbacks
):
    client = Client(enforce_csrf_checks=True)
    _, csrf, token = open_form(client)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_form(client, PATIENT, csrf, token).status_code == 302
    assert AppointmentRequest.objects.get().site_language == "en"
    run_tasks()  # the worker sends the email
    assert "The patient used the site in English." in mailoutbox[0].body


# The same page in the other language -------------------------------------------------


def head_links(response):
    html = response.content.decode()
    alternates = dict(
        re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)
    )
    switch = re.search(
        r'<a class="language-link" href="([^"]+)"[^>]*>([^<]+)</a>', html
    )
    jsonld = re.search(r'application/ld\+json">(.*?)</script>', html)
    in_language = json.loads(jsonld.group(1))["inLanguage"] if jsonld else None
    return alternates, (unescape(switch.group(1)), switch.group(2)), in_language


@pytest.mark.parametrize(
    "english, spanish",
    [
        ("/", "/es/"),
        ("/treatments/surgery/", "/es/tratamientos/cirugia/"),
        ("/side-effects/nausea/", "/es/efectos-secundarios/nausea/"),
        ("/medical-and-editorial-policy/", "/es/politica-medica-y-editorial/"),
        ("/privacy/", "/es/privacidad/"),
    ],
)
def test_each_page_links_to_itself_in_the_other_language(
    site, client, english, spanish
):
    site_url = "http://127.0.0.1:8000"
    for url, other, name, language in [
        (english, spanish, "Español", "en"),
        (spanish, english, "English", "es"),
    ]:
        alternates, switch, in_language = head_links(client.get(url))
        assert alternates == {
            "en": site_url + english,
            "x-default": site_url + english,
            "es": site_url + spanish,
        }
        assert switch == (other, name)
        assert in_language == language


@pytest.mark.parametrize(
    "english, spanish",
    [
        ("/glossary/", "/es/glosario/"),
        ("/side-effects/", "/es/efectos-secundarios/"),
        ("/compare/?t=surgery&t=prrt", "/es/comparar/?t=cirugia&t=prrt"),
        ("/my-questions/?t=surgery", "/es/mis-preguntas/?t=cirugia"),
        ("/explore/?origin=gi&show=1", "/es/opciones/?origin=gi&show=1"),
        ("/search/?q=octreotide", "/es/buscar/?q=octreotide"),
    ],
)
def test_tools_link_to_the_same_choice_in_the_other_language(
    site, client, english, spanish
):
    assert head_links(client.get(english))[1] == (spanish, "Español")
    assert head_links(client.get(spanish))[1] == (english, "English")


# Search in Spanish -------------------------------------------------------------------


def found(query, language="es"):
    with translation.override(language):
        return [result.entry.url for result in search(query)]


@pytest.mark.parametrize(
    "query, url",
    [
        ("cirugía", "/es/tratamientos/cirugia/"),
        ("cirugia", "/es/tratamientos/cirugia/"),  # typed without its accent
        ("CIRUGIA", "/es/tratamientos/cirugia/"),
        ("náuseas", "/es/efectos-secundarios/nausea/"),
        ("nauseas", "/es/efectos-secundarios/nausea/"),
        ("Afinitor", "/es/tratamientos/terapia-dirigida/"),  # a brand name
        ("everolimus", "/es/tratamientos/terapia-dirigida/"),  # its generic name
        ("Lutathera", "/es/tratamientos/teranostica/"),
        # The generic names in Spanish.
        ("octreotida", "/es/tratamientos/terapia-hormonal/"),
        ("lanreotida", "/es/tratamientos/terapia-hormonal/"),
        ("lutecio", "/es/tratamientos/teranostica/"),
        ("hígado", "/es/tratamientos/radiologia-intervencionista/"),
        ("higado", "/es/tratamientos/radiologia-intervencionista/"),
    ],
)
def test_spanish_search_finds_pages_by_spanish_words_and_medicine_names(
    site, query, url
):
    urls = found(query)
    assert url in urls
    assert all(found_url.startswith("/es/") for found_url in urls)


@pytest.mark.parametrize(
    "query, language, url",
    [
        ("caída del cabello", "es", "/es/efectos-secundarios/hair-loss/"),
        ("caida del pelo", "es", "/es/efectos-secundarios/hair-loss/"),
        ("the hair loss", "en", "/side-effects/hair-loss/"),
    ],
)
def test_search_ranks_by_the_words_that_matter_not_by_del_or_the(
    site, query, language, url
):
    assert found(query, language)[:1] == [url]


def test_each_language_searches_its_own_pages(site, client):
    assert found("surgery", "en")[:1] == ["/treatments/surgery/"]
    assert "/treatments/surgery/" not in found("cirugia")
    assert not any(url.startswith("/es/") for url in found("octreotide", "en"))
    page = client.get("/es/buscar/?q=cirugia").content.decode()
    assert '<a href="/es/tratamientos/cirugia/">Cirugía</a>' in page
    assert "<mark>Cirugía</mark>" in page or "<mark>cirugía</mark>" in page


def test_spanish_pages_and_search_use_the_spanish_generic_name(site, client):
    treatment = read(client.get("/es/tratamientos/terapia-hormonal/")).text
    assert "Sandostatin (octreotida), por lo general se pone con una inyección" in (
        treatment
    )
    assert "octreotide" not in treatment
    page = client.get("/es/buscar/?q=octreotida").content.decode()
    assert '<a href="/es/tratamientos/terapia-hormonal/">Terapia hormonal</a>' in page
    assert "<mark>octreotida</mark>" in page


# The outage page ---------------------------------------------------------------------


def test_the_outage_page_is_in_the_language_of_the_address(site, client):
    client.get("/es/")  # the Spanish settings' approved copy is kept for outages
    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    with translation.override("es"):
        response = middleware.process_exception(
            RequestFactory().get("/es/tratamientos/cirugia/"),
            OperationalError("the database went away"),
        )
    page = read(response)
    assert response.status_code == 503
    assert (page.lang, page.h1) == (
        "es",
        "Por favor, vuelva a intentarlo en un momento",
    )
    assert (
        "Si quiere hablar con alguien ahora, llámenos al (888) 552-6760." in page.text
    )


def test_spanish_pages_link_their_hard_words_to_the_spanish_glossary(site, client):
    page = client.get("/es/tratamientos/terapia-hormonal/").content.decode()
    assert re.search(
        r'<a class="term" href="/es/glosario/#term-somatostatin" '
        r'aria-describedby="define-somatostatin">somatostatina</a>',
        page,
    )
    assert '<dfn id="define-somatostatin-term">Somatostatina</dfn>' in page
    glossary = client.get("/es/glosario/").content.decode()
    assert '<dt id="term-somatostatin"><dfn>Somatostatina</dfn></dt>' in glossary

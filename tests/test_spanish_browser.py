"""The Spanish edition in a real browser on a 375 px phone: a reader finds options,
compares them and asks for an appointment, all in Spanish, with axe-core clean on
every screen.

Set NETGUIDE_SCREENSHOTS=1 to also write the screens to docs/screenshots/es-*.png.
"""

import pytest

from appointments.models import AppointmentRequest

from .kit import axe_violations, save_screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"width": 375, "height": 800}


def sideways(page):
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_a_spanish_reader_explores_compares_and_asks_for_an_appointment_on_a_phone(
    browser, axe_script, live_server, published_site, plain_http_cookies
):
    base = live_server.url

    def walk(browser):
        page = browser.new_page(viewport=PHONE)
        problems, seen = [], {}

        def look(name):
            """axe and sideways scrolling on the screen as it is now."""
            problems.extend(f"{name}: {v}" for v in axe_violations(page, axe_script))
            if sideways(page) > 0:
                problems.append(f"{name}: scrolls sideways by {sideways(page)} px")
            save_screenshot(page, f"es-{name}-mobile.png", full_page=True)
            seen[name] = page.url.removeprefix(base)

        try:
            page.goto(base + "/es/")
            assert page.evaluate("document.documentElement.lang") == "es"
            look("home")

            # Find my options, answering in Spanish.
            page.get_by_role("link", name="Mis opciones").click()
            assert page.locator("h1").inner_text() == (
                "Encuentre opciones que pueden ser adecuadas para usted"
            )
            look("explore")
            page.get_by_label("El tubo digestivo: el estómago o el intestino").check()
            page.get_by_label("Grado bajo").check()
            page.get_by_label("No, se ha quedado donde empezó").check()
            with page.expect_navigation():
                page.get_by_role("button", name="Ver opciones").click()
            results = page.locator("#results")
            assert results.locator("h2").first.inner_text() == (
                "Opciones de las que le puede hablar su equipo médico"
            )
            assert (
                "Usted nos dijo: su equipo médico dijo que empezó en el tubo digestivo"
                in results.inner_text()
            )
            assert "Cirugía" in results.inner_text()
            look("explore-results")

            # Compare what the explorer found.
            with page.expect_navigation():
                page.get_by_role("link", name="Comparar todas estas opciones").click()
            assert page.url.startswith(base + "/es/comparar/?t=")
            assert page.locator("h1").inner_text() == "Comparar opciones de tratamiento"
            assert "Qué es" in page.locator(".compare").inner_text()
            look("compare")

            # Ask for an appointment from there: mistakes first, then sent.
            with page.expect_navigation():
                page.get_by_role("link", name="Pedir una cita").first.click()
            assert page.locator("h1").inner_text() == "Pedir una cita"
            look("appointment")
            page.fill("#id_phone", "555-01")
            with page.expect_navigation():
                page.get_by_role("button", name="Enviar mi solicitud").click()
            summary = page.locator(".error-summary")
            assert summary.locator("h2").inner_text() == (
                "Error: por favor, corrija 4 cosas más abajo"
            )
            assert page.evaluate("document.activeElement.id") == "error-summary"
            look("appointment-errors")
            page.fill("#id_name", "Ana Ejemplo")
            page.fill("#id_phone", "(555) 234-5678")
            page.get_by_label("Familiar o cuidador").check()
            page.get_by_label("En la mañana (de 8 a. m. a 12 del mediodía)").check()
            page.check("#id_consent")
            with page.expect_navigation():
                page.get_by_role("button", name="Enviar mi solicitud").click()
            assert page.locator("h1").inner_text() == "Gracias. Recibimos su solicitud."
            look("appointment-sent")

            # Other Spanish pages a reader opens, for the screenshots and axe.
            for name, path in [
                ("treatment", "/es/tratamientos/terapia-hormonal/"),
                ("glossary", "/es/glosario/"),
                ("search", "/es/buscar/?q=cirugia"),
            ]:
                page.goto(base + path)
                look(name)
        finally:
            page.close()
        return problems, seen

    problems, seen = walk(browser)
    assert problems == []
    assert seen["explore-results"].startswith("/es/opciones/?origin=gi&grade=low")
    assert seen["appointment-sent"] == "/es/citas/solicitar/enviada/"
    sent = AppointmentRequest.objects.get()
    assert (sent.name, sent.site_language, sent.language) == ("Ana Ejemplo", "es", "es")

"""About this guide: the IPDAS certifying items in public (who makes and funds the
guide, conflicts of interest, how it is kept up to date, when the decision aid was
last reviewed, its sources, and why it has no outcome numbers)."""

from django.utils import timezone

from treatments.models import SituationQuestions, Treatment

from .kit import parse_response, public_pages


def about_page(client, path="/about-this-guide/"):
    response = client.get(path)
    assert response.status_code == 200
    return parse_response(response)


def text_of(root, css_class):
    return root.find_all("p", class_=css_class)[0].text


def test_about_says_who_makes_and_funds_the_demo_guide_and_how_it_is_kept_up(
    site, module_client
):
    root = about_page(module_client)
    assert text_of(root, "about-made-by") == (
        "NET Guide is written by the Demo Health Foundation (demo), a made-up group "
        "for trying out this site."
    )
    assert text_of(root, "about-funded-by") == (
        "The Demo Health Foundation (demo) pays for it. It takes no money from "
        "companies that make drugs or medical devices."
    )
    assert "declare no conflicts of interest" in text_of(root, "about-conflicts")
    assert text_of(root, "about-interval") == (
        "A medical reviewer checks every page at least every 12 months."
    )
    assert "when someone reports a mistake" in text_of(root, "about-early-review")
    assert text_of(root, "about-sources").startswith(
        "Everything in this guide rests on one source: “Neuroendocrine tumor "
        "treatments”"
    )
    assert text_of(root, "about-no-numbers").startswith(
        "This guide gives no numbers on how well each option works or how often side "
        "effects happen, because its source gives none."
    )
    assert "[[" not in root.text


def test_about_dates_the_last_review_of_the_decision_aid(site, module_client):
    newest = max(
        page.reviewed_at
        for page in [
            *Treatment.objects.published_pages("en"),
            *SituationQuestions.objects.published_pages("en"),
        ]
    )
    root = about_page(module_client)
    times = root.find_all("p", class_="about-last-reviewed")[0].find_all("time")
    # The site's date (America/New_York), not UTC's: they differ after 19:00 there.
    assert times[0].attrs["datetime"] == f"{timezone.localtime(newest):%Y-%m-%d}"


def test_every_footer_and_the_explorer_link_to_about(site, module_client):
    missing = []
    for url in public_pages(False):
        response = module_client.get(url)
        links = [
            a.attrs.get("href")
            for footer in parse_response(response).find_all("footer")
            for a in footer.find_all("a")
        ]
        about = (
            "/es/acerca-de-esta-guia/"
            if url.startswith("/es/")
            else "/about-this-guide/"
        )
        if about not in links:
            missing.append(url)
    assert missing == []
    explorer = about_page(module_client, "/explore/")
    assert "/about-this-guide/" in [
        a.attrs["href"]
        for a in explorer.find_all("p", class_="about-link")[0].find_all("a")
    ]


def test_about_in_spanish_reads_the_spanish_settings(site, module_client):
    root = about_page(module_client, "/es/acerca-de-esta-guia/")
    assert text_of(root, "about-made-by").startswith(
        "NET Guide lo escribe la Demo Health Foundation (demo)"
    )

"""Page weight budget: every public page is small, needs no JavaScript and no web fonts.

For each public page: the HTML, plus the stylesheets it links (read from the static
files through django.contrib.staticfiles' finders), plus any script it loads, comes
to under 40 KB uncompressed (the decision aid's two tool pages, the answered explorer
and the appointment summary, which carry the patient's answers, every option that may
fit and the form to change them: under 44 KB). No page loads a script file, each links exactly one
stylesheet, and no stylesheet declares a web font or imports another stylesheet.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from .kit import parse_html, public_pages

BUDGET_BYTES = 40 * 1024
TOOL_PAGE_BUDGET_BYTES = 44 * 1024
TOOL_PAGES = ("/explore/?", "/my-summary/")


def pages_to_weigh():
    """(path, expected status) of every public page in English, and of the answers
    that make a page longer or show its errors."""
    pages = public_pages(languages=("en",))
    assert any(
        url.startswith("/side-effects/") and url != "/side-effects/" for url in pages
    ), "no published side effects: did the site publish?"
    return [
        *[(url, 200) for url in pages],
        (
            "/explore/?origin=gi&grade=low&extent=localized&liver=no&hormones=yes"
            "&surgery=not-sure",
            200,
        ),
        ("/explore/?grade=bogus", 200),
        ("/my-questions/?t=surgery&t=chemotherapy", 200),
        ("/search/?q=octreotide", 200),
        ("/search/?q=zzzz", 200),
        ("/this-page-does-not-exist/", 404),
    ]


class Resources:
    """The stylesheets, scripts and fonts a page asks the browser to load."""

    def __init__(self, page):
        links, scripts = page.find_all("link"), page.find_all("script")
        self.stylesheets = [
            link.attrs.get("href", "")
            for link in links
            if "stylesheet" in link.attrs.get("rel", "").lower().split()
        ]
        self.fonts = [
            link.attrs.get("href", "")
            for link in links
            if link.attrs.get("as") == "font"
        ]
        self.scripts = [
            script.attrs["src"] for script in scripts if "src" in script.attrs
        ]
        # Structured data is fine; code is not.
        self.inline_scripts = sum(
            "src" not in script.attrs
            and script.attrs.get("type") != "application/ld+json"
            for script in scripts
        )
        self.inline_styles = len(page.find_all("style"))


def static_file(url):
    """The bytes of a same-site static file, found the way runserver would find it."""
    parts = urlsplit(url)
    assert not parts.netloc, f"{url} is loaded from another host"
    assert parts.path.startswith(settings.STATIC_URL), f"{url} is not a static file"
    path = finders.find(parts.path[len(settings.STATIC_URL) :])
    assert path, f"{url} is not among the static files"
    with open(path, "rb") as f:
        return f.read()


def load(client, path, status):
    response = client.get(path)
    assert response.status_code == status, f"{path} answered {response.status_code}"
    html = response.content
    return html, Resources(parse_html(html.decode(response.charset or "utf-8")))


@pytest.mark.django_db
def test_every_public_page_is_under_the_weight_budget(client, site):
    over, report = [], []
    for path, status in pages_to_weigh():
        html, resources = load(client, path, status)
        css = sum(len(static_file(url)) for url in resources.stylesheets)
        js = sum(len(static_file(url)) for url in resources.scripts)
        total = len(html) + css + js
        report.append(
            f"{total / 1024:5.1f} KB  {path} (HTML {len(html)}, CSS {css}, JS {js})"
        )
        budget = TOOL_PAGE_BUDGET_BYTES if path.startswith(TOOL_PAGES) else BUDGET_BYTES
        if total >= budget:
            over.append(report[-1])
    assert not over, (
        "over the budget:\n" + "\n".join(over) + "\n\nall pages:\n" + "\n".join(report)
    )


@pytest.mark.django_db
def test_public_pages_need_no_javascript_and_one_stylesheet(client, site):
    problems = []
    for path, status in pages_to_weigh():
        _, resources = load(client, path, status)
        if resources.scripts:
            problems.append(f"{path} loads scripts: {resources.scripts}")
        if len(resources.stylesheets) != 1:
            problems.append(f"{path} links stylesheets {resources.stylesheets}")
        if resources.inline_scripts:
            problems.append(f"{path} has {resources.inline_scripts} inline script(s)")
        if resources.inline_styles:
            problems.append(f"{path} has {resources.inline_styles} <style> element(s)")
        if resources.fonts:
            problems.append(f"{path} preloads fonts: {resources.fonts}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_no_web_fonts_or_imports_in_public_stylesheets(client, site):
    stylesheets = set()
    for path, status in pages_to_weigh():
        stylesheets.update(load(client, path, status)[1].stylesheets)
    assert stylesheets
    for url in sorted(stylesheets):
        css = static_file(url).decode()
        assert "@font-face" not in css, f"{url} declares a web font"
        assert not re.search(r"@import\b", css), f"{url} imports another stylesheet"
        font_file = re.search(r"url\([^)]*\.(woff2?|ttf|otf|eot)\b", css)
        assert not font_file, f"{url} loads a font file: {font_file.group(0)}"

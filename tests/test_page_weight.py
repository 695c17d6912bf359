"""Page weight budget: every public page is small, needs no JavaScript and no web fonts.

For each public page: the HTML, plus the stylesheets it links (read from the static
files through django.contrib.staticfiles' finders), plus any script it loads, comes
to under 40 KB uncompressed. No page loads a script file, each links exactly one
stylesheet, and no stylesheet declares a web font or imports another stylesheet.
"""

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from treatments.models import SideEffect

from .conftest import TREATMENT_SLUGS

BUDGET_BYTES = 40 * 1024


def public_pages():
    """(path, expected status) of every public page; side effects come from the DB."""
    side_effects = list(
        SideEffect.objects.in_language("en").published().values_list("slug", flat=True)
    )
    assert side_effects, "no published side effects: did the site publish?"
    return [
        ("/", 200),
        *[(f"/treatments/{slug}/", 200) for slug in TREATMENT_SLUGS],
        ("/side-effects/", 200),
        *[(f"/side-effects/{slug}/", 200) for slug in side_effects],
        ("/medical-and-editorial-policy/", 200),
        ("/explore/", 200),
        (
            "/explore/?origin=gi&grade=low&extent=localized&liver=no&hormones=yes"
            "&surgery=not-sure",
            200,
        ),
        ("/explore/?grade=bogus", 200),
        ("/glossary/", 200),
        ("/my-questions/", 200),
        ("/my-questions/?t=surgery&t=chemotherapy", 200),
        ("/search/?q=octreotide", 200),
        ("/search/?q=zzzz", 200),
        ("/this-page-does-not-exist/", 404),
    ]


class Resources(HTMLParser):
    """The stylesheets, scripts and fonts a page asks the browser to load."""

    def __init__(self):
        super().__init__()
        self.stylesheets, self.scripts, self.fonts = [], [], []
        self.inline_scripts, self.inline_styles = 0, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        rel = (attrs.get("rel") or "").lower().split()
        if tag == "link" and "stylesheet" in rel:
            self.stylesheets.append(attrs.get("href", ""))
        if tag == "link" and attrs.get("as") == "font":
            self.fonts.append(attrs.get("href", ""))
        if tag == "script" and "src" in attrs:
            self.scripts.append(attrs["src"])
        elif tag == "script" and attrs.get("type") != "application/ld+json":
            self.inline_scripts += 1  # structured data is fine; code is not
        if tag == "style":
            self.inline_styles += 1


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
    resources = Resources()
    resources.feed(html.decode(response.charset or "utf-8"))
    return html, resources


@pytest.mark.django_db
def test_every_public_page_is_under_the_weight_budget(client, site):
    over, report = [], []
    for path, status in public_pages():
        html, resources = load(client, path, status)
        css = sum(len(static_file(url)) for url in resources.stylesheets)
        js = sum(len(static_file(url)) for url in resources.scripts)
        total = len(html) + css + js
        report.append(
            f"{total / 1024:5.1f} KB  {path} (HTML {len(html)}, CSS {css}, JS {js})"
        )
        if total >= BUDGET_BYTES:
            over.append(report[-1])
    assert not over, (
        f"over the {BUDGET_BYTES // 1024} KB budget:\n"
        + "\n".join(over)
        + "\n\nall pages:\n"
        + "\n".join(report)
    )


@pytest.mark.django_db
def test_public_pages_need_no_javascript_and_one_stylesheet(client, site):
    problems = []
    for path, status in public_pages():
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
    for path, status in public_pages():
        stylesheets.update(load(client, path, status)[1].stylesheets)
    assert stylesheets
    for url in sorted(stylesheets):
        css = static_file(url).decode()
        assert "@font-face" not in css, f"{url} declares a web font"
        assert not re.search(r"@import\b", css), f"{url} imports another stylesheet"
        font_file = re.search(r"url\([^)]*\.(woff2?|ttf|otf|eot)\b", css)
        assert not font_file, f"{url} loads a font file: {font_file.group(0)}"

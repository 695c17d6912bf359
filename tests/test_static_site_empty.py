"""Published files on a site where nothing is approved yet (content imported only).

Its own module: tests/test_static_site.py shares one published site per module.
"""

import pytest

from netguide import static_site

pytestmark = pytest.mark.django_db


def test_a_site_with_nothing_approved_publishes_what_it_has(
    imported, settings, tmp_path
):
    """Addresses with nothing approved yet stay with Django (its 404), not an error."""
    settings.PUBLISH_DIR = str(tmp_path / "publish")

    outcome = static_site.publish()

    assert outcome.rendered == [
        "/",
        "/side-effects/",
        "/about-this-guide/",
        "/glossary/",
        "/sitemap.xml",
        "/robots.txt",
        "404",
        "503",
        "/es/",
        "/es/efectos-secundarios/",
        "/es/acerca-de-esta-guia/",
        "/es/glosario/",
        "es/404",
        "es/503",
    ]
    site = tmp_path / "publish" / "current" / "site"
    assert (site / "index.html").exists()
    assert not (site / "privacy").exists() and not (site / "treatments").exists()
    assert static_site.check() == []

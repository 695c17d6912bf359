"""The evidence map in a real browser: the reviewer's evidence view and a page's
sources section, on a phone and a desktop (screenshots for docs/screenshots/)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .kit import edit, log_in, make_published, save_screenshot, submit, the_seed

pytestmark = pytest.mark.browser

HORMONE_BODY = (
    "## What it does\n\n"
    "Hormone therapy will most likely not shrink the tumor. [[seed:56]] "
    "It may slow how fast the tumor grows. [[seed:56]]\n\n"
    "A hormone is a chemical messenger your body makes. [[explains]]\n\n"
    "## Side effects\n\n"
    "- High blood sugar [[seed:64 seed:65]]\n"
    "- Gallstones [[seed:64 seed:66]]\n"
)
KEY_POINTS = [
    "It may ease symptoms caused by hormone-like substances. [[seed:57 seed:58]]",
    "The drugs are usually given as a shot. [[seed:64]]",
]


def published_hormone_page(editor, reviewer, body):
    """The seed approved, and a published hormone therapy page with `body`."""
    the_seed(editor, reviewer)
    return make_published(
        editor,
        reviewer,
        slug="hormone-therapy-test",
        title="Hormone therapy",
        body=body,
        key_points=KEY_POINTS,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_the_reviewer_reads_each_statement_beside_its_passage(
    live_server, page, editor, reviewer, width
):
    record = published_hormone_page(
        editor, reviewer, "Hormone therapy may slow growth. [[seed:56]]"
    )
    edit(record, editor, body=HORMONE_BODY + "\nIt works for everyone.\n")
    submit(record, editor, "Explained the side effects.", "test")
    review_path = reverse("admin:treatments_treatment_review", args=[record.pk])

    page.set_viewport_size({"width": width, "height": 900})
    page.set_default_timeout(15_000)
    log_in(page, live_server.url, "reviewer", review_path)

    evidence = page.locator("section.review-evidence")
    unsupported = evidence.locator(".evidence-unsupported")
    expect(unsupported).to_contain_text("Statements without support (1)")
    expect(unsupported).to_contain_text("“It works for everyone.”")
    expect(evidence.locator(".evidence-explanations")).to_contain_text(
        "A hormone is a chemical messenger your body makes."
    )
    pair = evidence.locator("li.evidence-pair", has_text="High blood sugar")
    expect(pair).to_contain_text("seed:65 Elevated blood sugar")
    save_screenshot(page, f"evidence-review-{width}.png", full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [375, 1280])
def test_a_page_ends_with_where_its_information_comes_from(
    live_server, page, editor, reviewer, width
):
    record = published_hormone_page(editor, reviewer, HORMONE_BODY)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_server.url + reverse("treatments:treatment", args=[record.slug]))
    main = page.locator("main")
    expect(main).to_contain_text("A hormone is a chemical messenger your body makes.")
    expect(main).not_to_contain_text("[[")
    sources = page.locator("section.page-dates")
    expect(sources.get_by_role("heading", level=2)).to_have_text(
        "Where this information comes from"
    )
    expect(sources.locator(".page-sources li")).to_have_text(
        "Neuroendocrine tumor treatments. A cancer center's patient education page, "
        "June 6, 2022."
    )
    sources.scroll_into_view_if_needed()
    save_screenshot(page, f"page-sources-{width}.png")

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from treatments.markdown import render_markdown, validate_markdown
from treatments.models import Page

from .kit import (
    make_full_treatment,
    make_treatment,
    make_user,
    open_change_form,
    parse_html,
)

PREVIEW_URL = settings.MARKDOWNX_URLS_PATH
UPLOAD_URLS = [settings.MARKDOWNX_UPLOAD_URLS_PATH, "/markdownx/upload/"]

# Tags and attributes that can run script or load something; none may survive.
RUNNABLE_TAGS = set(
    "script style iframe frame frameset object embed applet img svg math form input "
    "button base link meta body video audio source textarea select".split()
)
URL_ATTRIBUTES = set(
    "href src action formaction data xlink:href poster background".split()
)
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "![x](javascript:alert(1))",
    '<div onclick="alert(1)">click me</div>',
    '<p onmouseover="alert(1)">hover</p>',
    "<svg onload=alert(1)>",
    "<body onload=alert(1)>",
    '<iframe src="https://evil.example/"></iframe>',
    "<style>body { display: none }</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<object data="javascript:alert(1)"></object>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<math><mi xlink:href="javascript:alert(1)">m</mi></math>',
    "<scr<script>ipt>alert(1)</script>",
]


def tags_in(html):
    """(tag, attributes) of every element in the HTML, in document order."""
    return [(e.tag, e.attrs) for e in parse_html(html).iter()[1:]]


def runnable_parts(html):
    """Whatever in the HTML a browser could run or load: tags, handlers, script URLs."""
    found = []
    for tag, attrs in tags_in(html):
        if tag in RUNNABLE_TAGS:
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on") or name == "style":
                found.append(f"<{tag} {name}>")
            squashed = "".join(
                ch for ch in value if ch.isprintable() and not ch.isspace()
            ).lower()
            if name in URL_ATTRIBUTES and squashed.startswith(BAD_SCHEMES):
                found.append(f"<{tag} {name}={value!r}>")
    if "<script" in html.lower():
        found.append("<script text")
    return found


# render_markdown ------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_render_markdown_leaves_nothing_that_can_run(payload):
    source = f"## Before\n\nSome text.\n\n{payload}\n\nAfter."
    html = render_markdown(source)
    assert runnable_parts(html) == []
    assert '<h2 id="section-before">Before</h2>' in html
    assert "After." in html


def test_headings_get_prefixed_ids_and_ids_written_as_html_are_dropped():
    html = render_markdown(
        '## What it is\n\n<h2 id="main">Taken</h2>\n\n<h3 id="define-net">X</h3>'
    )
    assert html == (
        '<h2 id="section-what-it-is">What it is</h2>\n<h2>Taken</h2>\n\n<h3>X</h3>'
    )


def test_render_markdown_keeps_headings_lists_and_emphasis():
    html = render_markdown(
        "## Goals\n\n### Smaller\n\n- one\n- two\n\n1. first\n2. second\n\n"
        "**bold** and *soft*"
    )
    assert '<h2 id="section-goals">Goals</h2>' in html
    assert '<h3 id="section-smaller">Smaller</h3>' in html
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in html
    assert "<ol>\n<li>first</li>\n<li>second</li>\n</ol>" in html
    assert "<strong>bold</strong>" in html
    assert "<em>soft</em>" in html


def test_render_markdown_keeps_https_and_tel_links():
    html = render_markdown("[FDA](https://www.fda.gov/) or [call us](tel:+18885526760)")
    links = [attrs for tag, attrs in tags_in(html) if tag == "a"]
    assert [link["href"] for link in links] == [
        "https://www.fda.gov/",
        "tel:+18885526760",
    ]
    assert ">FDA</a>" in html
    assert ">call us</a>" in html


def test_render_markdown_keeps_relative_links():
    html = render_markdown("[Side effects](/side-effects/)")
    assert [attrs["href"] for tag, attrs in tags_in(html) if tag == "a"] == [
        "/side-effects/"
    ]


def test_render_markdown_drops_the_href_but_keeps_the_text_of_a_javascript_link():
    html = render_markdown("[read more](javascript:alert(1))")
    assert "read more" in html
    assert "javascript" not in html.lower()


def test_render_markdown_turns_no_heading_into_a_second_h1():
    """The title is the page's only h1: an editor's `# Heading` keeps just its words."""
    html = render_markdown("# Big title\n\nText.")
    assert "<h1" not in html
    assert "Big title" in html


def test_render_markdown_of_nothing_is_empty():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""


# Saved content --------------------------------------------------------------------

HOSTILE_BODY = (
    "## Safe heading\n\nSafe words stay.\n\n<script>alert(1)</script>\n\n"
    "[x](javascript:alert(1))\n\n<img src=x onerror=alert(1)>"
)


def test_saved_treatment_stores_only_sanitized_html(editor):
    """body_html is what public pages show (publishing takes more than saving)."""
    treatment = make_treatment(editor, body=HOSTILE_BODY)
    treatment.refresh_from_db()
    assert '<h2 id="section-safe-heading">Safe heading</h2>' in treatment.body_html
    assert "Safe words stay." in treatment.body_html
    assert runnable_parts(treatment.body_html) == []
    assert "javascript:" not in treatment.body_html.lower()


def test_saved_page_stores_only_sanitized_html(db):
    page = Page.objects.create(
        slug="policy", title="Policy", summary="How we work.", body=HOSTILE_BODY
    )
    page.refresh_from_db()
    assert "Safe words stay." in page.body_html
    assert runnable_parts(page.body_html) == []
    assert "javascript:" not in page.body_html.lower()


def test_editing_a_saved_treatment_sanitizes_the_new_body(editor):
    treatment = make_treatment(editor, body="Plain words.")
    treatment.body = HOSTILE_BODY
    treatment.save()
    treatment.refresh_from_db()
    assert "Safe words stay." in treatment.body_html
    assert runnable_parts(treatment.body_html) == []


# The editor's live preview -----------------------------------------------------

PREVIEW_SOURCE = "<script>alert(1)</script>**b**"


def test_preview_is_not_rendered_for_anonymous_visitors(client):
    response = client.post(PREVIEW_URL, {"content": PREVIEW_SOURCE})
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    assert b"<strong>" not in response.content


def test_preview_is_not_rendered_for_users_who_are_not_staff(
    db, client, django_user_model
):
    client.force_login(make_user("visitor", is_staff=False))
    response = client.post(PREVIEW_URL, {"content": PREVIEW_SOURCE})
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response["Location"].startswith(reverse("admin:login"))
    assert b"<strong>" not in response.content


def test_preview_renders_sanitized_html_for_staff(db, client, django_user_model):
    client.force_login(make_user("staff"))
    response = client.post(PREVIEW_URL, {"content": PREVIEW_SOURCE})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>b</strong>" in html
    assert runnable_parts(html) == []


def test_preview_without_content_is_a_bad_request(db, client, django_user_model):
    client.force_login(make_user("staff"))
    response = client.post(PREVIEW_URL, {})
    assert response.status_code == 400


def test_preview_only_accepts_post(db, client, django_user_model):
    assert client.get(PREVIEW_URL).status_code == 405
    client.force_login(make_user("staff"))
    assert client.get(PREVIEW_URL, {"content": "**b**"}).status_code == 405


def test_preview_refuses_a_post_without_a_csrf_token(db, django_user_model):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("staff"))
    response = client.post(PREVIEW_URL, {"content": "**b**"})
    assert response.status_code == 403


def test_markdownx_default_preview_address_is_not_routed(db, client):
    """django-markdownx's own preview is open to anyone, so only ours may answer."""
    assert (
        client.post("/markdownx/markdownify/", {"content": "**b**"}).status_code == 404
    )


def test_image_upload_is_not_routed_for_anyone(db, client, django_user_model):
    for url in UPLOAD_URLS:
        assert client.post(url, {}).status_code == 404, url
        assert client.get(url).status_code == 404, url
    client.force_login(make_user("staff"))
    for url in UPLOAD_URLS:
        assert client.post(url, {}).status_code == 404, url
        assert client.get(url).status_code == 404, url


# Markdown that cannot be shown as written ------------------------------------------

DEEP_LIST = "".join("    " * level + "- item\n" for level in range(280))
UNCLOSED_STYLE = "Intro for patients.\n\n<style>\n\nThe rest of the page.\n\nMore."


def post_body(client, editor, body, record=None):
    client.force_login(editor)
    record = record or make_full_treatment(editor)
    data = open_change_form(client, record)
    url = reverse("admin:treatments_treatment_change", args=[record.pk])
    response = client.post(url, {**data, "body": body, "_save": "Save"})
    record.refresh_from_db()
    return record, response


def test_a_list_nested_280_deep_is_refused_with_a_message_not_a_500(db, client, editor):
    record, response = post_body(client, editor, DEEP_LIST)
    assert response.status_code == 200
    assert "nested too deeply" in response.content.decode()
    assert record.latest_revision.number == 2  # nothing saved
    preview = client.post(PREVIEW_URL, {"content": DEEP_LIST})
    assert preview.status_code == 200
    assert "nested too deeply" in preview.content.decode()


def test_an_editor_is_told_before_saving_when_sanitizing_would_remove_text(
    db, client, editor
):
    record, response = post_body(client, editor, UNCLOSED_STYLE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Patients would not see this text" in text
    assert "The rest of the page. More." in text
    assert "Intro for patients" not in record.latest_revision.snapshot["body"]
    preview = client.post(PREVIEW_URL, {"content": UNCLOSED_STYLE}).content.decode()
    assert preview.startswith('<p class="markdown-warning" role="alert">')
    assert "The rest of the page. More." in preview
    # Plain Markdown with a harmless < and & saves.
    record, response = post_body(client, editor, "If 3 < 4 & 5 > 2, say so.", record)
    assert response.status_code == 302


def test_eight_levels_of_nesting_are_shown_and_a_ninth_is_refused():
    """The limit is ours, so it holds whatever Python-Markdown release is installed."""
    eight = "".join("    " * level + "- item\n" for level in range(8))
    assert render_markdown(eight).count("<ul>") == 8
    with pytest.raises(ValidationError, match="nested too deeply"):
        validate_markdown(eight + "    " * 8 + "- item\n")

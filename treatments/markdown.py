"""Markdown to safe HTML: the only place Markdown becomes HTML."""

import markdown
import nh3
from markdown.extensions.toc import TocExtension, slugify

ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "a",
    "blockquote",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# Headings keep the ids Markdown gives them, for the "On this page" contents.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "th": {"scope"},
    "h2": {"id"},
    "h3": {"id"},
}
HEADING_ID_PREFIX = "section-"


def heading_id(value, separator):
    # Prefixed, so a heading can never take an id the page template uses.
    return HEADING_ID_PREFIX + slugify(value, separator)


# Relative links and these schemes only: no javascript:, data: or vbscript:.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(source: str) -> str:
    """Render editor Markdown and strip anything that could run in a browser."""
    html = markdown.markdown(
        source or "",
        extensions=["sane_lists", TocExtension(slugify=heading_id, toc_depth="2-3")],
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        attribute_filter=only_section_ids,
    )


def only_section_ids(tag, attribute, value):
    """Ids Markdown gave a heading survive; an id written as HTML does not, so body
    text can never take over an id the page uses (#main, a definition's id)."""
    if attribute == "id" and not value.startswith(HEADING_ID_PREFIX):
        return None
    return value

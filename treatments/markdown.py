"""Markdown to safe HTML: the only place Markdown becomes HTML."""

import html as html_lib
import re

import markdown
import nh3
from django.core.exceptions import ValidationError
from django.utils.html import strip_tags
from markdown.extensions.toc import TocExtension, slugify

from editorial.evidence import without_marks

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


class MarkdownTooDeep(ValueError):
    """Lists or quotes nested deeper than a reader can follow."""


# Deeper nesting helps no reader, and older Python-Markdown releases recurse once
# per level until Python's stack runs out: the limit is ours, not the library's.
MAX_NESTING = 8
NESTING_TAG = re.compile(r"<(/?)(?:ul|ol|blockquote)\b", re.IGNORECASE)
TOO_DEEP = (
    "Lists or quotes are nested too deeply to show. Use at most a few levels "
    "of nesting."
)


def nesting_depth(html):
    depth = deepest = 0
    for match in NESTING_TAG.finditer(html):
        depth += -1 if match.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


def unsafe_html(source):
    try:
        html = markdown.markdown(
            without_marks(source),
            extensions=[
                "sane_lists",
                TocExtension(slugify=heading_id, toc_depth="2-3"),
            ],
            output_format="html",
        )
    except RecursionError:
        raise MarkdownTooDeep(TOO_DEEP) from None
    if nesting_depth(html) > MAX_NESTING:
        raise MarkdownTooDeep(TOO_DEEP)
    return html


def render_markdown(source: str) -> str:
    """Render editor Markdown and strip anything that could run in a browser."""
    return sanitize(unsafe_html(source))


def sanitize(html):
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


def html_text(html):
    """Rendered Markdown as plain sentences: a heading ends with a full stop, so a
    snippet never runs "What it is" into the sentence after it."""
    html = re.sub(r"(?<![.?!:])\s*</h([1-6])>", r".</h\1>", html)
    return " ".join(html_lib.unescape(strip_tags(html)).split())


def words_of(html):
    # Tags out, text in, including what sits inside <style> and <script>.
    return html_lib.unescape(re.sub(r"<[^>]*>", " ", html)).split()


def removed_text(source):
    """The words sanitizing drops (inside <style> or <script>, an unclosed tag), or ""."""
    html = unsafe_html(source)
    kept = words_of(sanitize(html))
    lost, position = [], 0
    for word in words_of(html):
        try:
            position = kept.index(word, position) + 1
        except ValueError:
            lost.append(word)
    return " ".join(lost)


def validate_markdown(source):
    """Refuse Markdown that cannot be shown as written, saying why."""
    try:
        lost = removed_text(source)
    except MarkdownTooDeep as error:
        raise ValidationError(str(error), code="too_deep") from None
    if lost:
        shown = lost if len(lost) <= 120 else lost[:117] + "…"
        raise ValidationError(
            "Patients would not see this text: the page may not contain HTML such "
            f"as <style> or <script>, so it is removed: “{shown}”. Remove that HTML "
            "or write the text as plain Markdown.",
            code="removed_text",
        )

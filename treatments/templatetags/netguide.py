import json
import re

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext

from editorial.evidence import without_marks
from editorial.models import current_language

from ..translations import address_in

register = template.Library()

# What json_script escapes, so that text in the data can never close the tag.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter(name="without_marks")
def without_evidence_marks(text):
    """Plain-text content (key points, reasons, definitions) without its evidence marks."""
    return without_marks(text)


@register.filter
def jsonld(data):
    """A JSON-LD block, escaped like json_script so content cannot close the tag."""
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(
        JSON_SCRIPT_ESCAPES
    )
    return mark_safe(f'<script type="application/ld+json">{text}</script>')


@register.filter(expects_localtime=True)
def time_tag(date):
    """<time datetime="2026-12-07">December 7, 2026</time>, in the active language:
    a filter, not an include, as pages show several dates (and one per change)."""
    return format_html(
        '<time datetime="{}">{}</time>',
        date_filter(date, "Y-m-d"),
        date_filter(date, gettext("F j, Y")),
    )


@register.filter
def when_it_may_be_used(content):
    """A treatment's "when it may be used" sentences, each once: its fit reasons, then
    what it says to everyone."""
    sentences = [without_marks(fit["reason"]) for fit in content.get("fits", [])]
    if content.get("also_ask"):
        sentences.append(without_marks(content["also_ask"]))
    return list(dict.fromkeys(sentences))


HEADING = re.compile(r'<h2 id="([^"]+)">(.*?)</h2>', re.DOTALL)


@register.filter
def h2_headings(html):
    """(id, text) of each second-level heading in rendered Markdown, for contents lists."""
    return [(anchor, strip_tags(text)) for anchor, text in HEADING.findall(html or "")]


@register.simple_tag(takes_context=True)
def page_in_languages(context):
    """This page in every language of the site: [{code, name, url, current}], each
    url absolute, None where the page has no published version in that language."""
    request = context.get("request")
    if request is None or request.resolver_match is None:
        return []
    page = context.get("page")
    if getattr(page, "is_draft", False):
        return []
    here = current_language()
    found = []
    for code, name in settings.LANGUAGES:
        path = address_in(request, page, code) if code != here else request.path
        found.append(
            {
                "code": code,
                "name": name,  # in its own language, as settings.LANGUAGES has it
                "url": settings.SITE_URL.rstrip("/") + path if path else None,
                "path": path,
                "current": code == here,
                "is_default": code == settings.LANGUAGE_CODE,
            }
        )
    return found


@register.filter
def unbroken(phone_number):
    """A phone number that breaks, if it must, only at a space ("(888)" then
    "552-6760"), never at its hyphen ("(888) 552-" then "6760")."""
    return format_html_join(
        " ",
        '<span class="phone-number">{}</span>',
        ((p,) for p in phone_number.split()),
    )


class OncePerNode(template.Node):
    """A fragment rendered once per language and values of its keys, then kept in
    this process (the site's header and footer: dozens of {% url %} and
    {% translate %} that come out the same on every page)."""

    KEPT = 256  # fragments per tag; more different keys than this start it afresh

    def __init__(self, nodelist, keys):
        self.nodelist = nodelist
        self.keys = keys
        self.rendered = {}

    def render(self, context):
        key = (get_language(), *(key.resolve(context) for key in self.keys))
        html = self.rendered.get(key)
        if html is None:
            html = self.nodelist.render(context)
            if len(self.rendered) >= self.KEPT:
                self.rendered.clear()
            self.rendered[key] = html
        return html


@register.tag
def once_per(parser, token):
    """{% once_per value ... %}…{% endonce_per %}: the fragment depends on nothing
    but these values and the active language, so it is rendered once for each."""
    keys = [parser.compile_filter(bit) for bit in token.split_contents()[1:]]
    nodelist = parser.parse(("endonce_per",))
    parser.delete_first_token()
    return OncePerNode(nodelist, keys)

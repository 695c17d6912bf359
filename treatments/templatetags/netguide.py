import json
import re

from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe

register = template.Library()

# What json_script escapes, so that text in the data can never close the tag.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.filter
def jsonld(data):
    """A JSON-LD block, escaped like json_script so content cannot close the tag."""
    if not data:
        return ""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(
        JSON_SCRIPT_ESCAPES
    )
    return mark_safe(f'<script type="application/ld+json">{text}</script>')


@register.filter
def when_it_may_be_used(content):
    """A treatment's "when it may be used" sentences, each once: its fit reasons, then
    what it says to everyone."""
    sentences = [fit["reason"] for fit in content.get("fits", [])]
    if content.get("also_ask"):
        sentences.append(content["also_ask"])
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
    from django.conf import settings

    from treatments.models import current_language
    from treatments.translations import address_in

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

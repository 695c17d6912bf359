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

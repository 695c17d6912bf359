"""Compare two content snapshots field by field and part by part, word by word.

A reviewer must see a changed number or drug name inside a long paragraph, so
text is compared in words: changed words are marked with <ins>/<del>, each with
a visually hidden "added:" / "removed:" for screen readers. Structured parts
(procedures, drugs, side effects, questions, key points, fit rules) are matched
item by item; unchanged fields are reported as such so screens can fold them.

Each content type names its snapshot's keys (`diff_labels`) and says how an item
of one of its lists reads (`diff_item_text`).
"""

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WORDS = re.compile(r"\s+|\w+|[^\w\s]")


def as_text(value) -> str:
    if value is None:
        return ""
    return str(value)


def word_diff(old: str, new: str) -> SafeString:
    """`new` with the words taken out of `old` in <del> and put in, in <ins>."""
    a, b = WORDS.findall(old), WORDS.findall(new)
    segments = []  # (old text, new text); equal when both are the same
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        segments.append(("".join(a[i1:i2]), "".join(b[j1:j2]), tag == "equal"))
    # A lone space between two changes belongs to the change: "now and then" to
    # "once a year" reads as one replacement, not three.
    merged = []
    for n, (old_part, new_part, equal) in enumerate(segments):
        between_changes = (
            equal
            and not old_part.strip()
            and 0 < n < len(segments) - 1
            and not segments[n - 1][2]
            and not segments[n + 1][2]
        )
        if between_changes:
            equal = False
        if merged and not equal and not merged[-1][2]:
            last_old, last_new, _ = merged.pop()
            old_part, new_part = last_old + old_part, last_new + new_part
        merged.append((old_part, new_part, equal))
    html = []
    for old_part, new_part, equal in merged:
        if equal:
            html.append(escape(new_part))
            continue
        if old_part:
            html.append(removed(old_part))
        if new_part:
            html.append(added(new_part))
    return mark_safe("".join(html))


PARAGRAPHS = re.compile(r"\n\s*\n")


def text_diff(old: str, new: str) -> SafeString:
    """Word diff of a text, paragraph by paragraph: long runs of unchanged
    paragraphs between changes are folded to one line, so one changed word in a
    long page is not lost among the rest."""
    a, b = PARAGRAPHS.split(old.strip()), PARAGRAPHS.split(new.strip())
    if len(a) < 2 and len(b) < 2:
        return word_diff(old, new)
    if a == b:
        return mark_safe("\n\n".join(escape(paragraph) for paragraph in b))
    pieces = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    opcodes = matcher.get_opcodes()
    for n, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            same = [escape(paragraph) for paragraph in b[j1:j2]]
            # Keep one paragraph of context next to each change; fold the rest.
            keep_before = same[:1] if n > 0 else []
            keep_after = same[-1:] if n < len(opcodes) - 1 else []
            folded = len(same) - len(keep_before) - len(keep_after)
            if folded > 1:
                pieces += keep_before + [folded_paragraphs(folded)] + keep_after
            else:
                pieces += same
            continue
        olds, news = a[i1:i2], b[j1:j2]
        paired = min(len(olds), len(news))
        for old_paragraph, new_paragraph in zip(
            olds[:paired], news[:paired], strict=True
        ):
            pieces.append(word_diff(old_paragraph, new_paragraph))
        pieces += [removed(paragraph) for paragraph in olds[paired:]]
        pieces += [added(paragraph) for paragraph in news[paired:]]
    return mark_safe("\n\n".join(pieces))


def folded_paragraphs(count):
    return format_html(
        '<span class="diff-folded">[{} unchanged paragraphs]</span>', count
    )


def added(text):
    return format_html(
        '<ins><span class="visually-hidden">added: </span>{}</ins>', text
    )


def removed(text):
    return format_html(
        '<del><span class="visually-hidden">removed: </span>{}</del>', text
    )


@dataclass
class PartDiff:
    """One item of a list field: 'same', 'changed', 'added' or 'removed'."""

    status: str
    html: SafeString


@dataclass
class FieldDiff:
    key: str
    label: str
    changed: bool
    html: SafeString = ""  # a text field, words marked
    parts: list | None = None  # a list field, item by item

    @property
    def is_text(self):
        return self.parts is None


def diff_parts(old_items, new_items) -> list[PartDiff]:
    """Align two lists of texts; a replaced item is compared word by word."""
    parts = []
    matcher = difflib.SequenceMatcher(a=old_items, b=new_items, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts += [PartDiff("same", escape(text)) for text in new_items[j1:j2]]
            continue
        olds, news = old_items[i1:i2], new_items[j1:j2]
        paired = min(len(olds), len(news)) if tag == "replace" else 0
        for old, new in zip(olds[:paired], news[:paired], strict=True):
            parts.append(PartDiff("changed", word_diff(old, new)))
        parts += [PartDiff("removed", removed(text)) for text in olds[paired:]]
        parts += [PartDiff("added", added(text)) for text in news[paired:]]
    return parts


class Comparison(list):
    """The FieldDiffs of two snapshots, in reading order."""

    @property
    def changed(self):
        return [diff for diff in self if diff.changed]

    @property
    def unchanged(self):
        return [diff for diff in self if not diff.changed]


def compare_snapshots(old, new, record_type) -> Comparison:
    """Every field the page shows, in reading order, with what changed marked.

    `record_type` (a reviewable model) names the fields (`diff_labels`) and reads
    list items (`diff_item_text`). `old` may be None (nothing to compare with):
    everything is then added. A field empty in both is left out.
    """
    old, new = old or {}, new or {}
    fields = Comparison()

    def texts(key, items):
        return [record_type.diff_item_text(key, item) for item in items]

    for key, label in record_type.diff_labels.items():
        if key not in old and key not in new:
            continue
        before, after = old.get(key), new.get(key)
        if before in (None, "", []) and after in (None, "", []):
            continue
        if isinstance(before, list) or isinstance(after, list):
            parts = diff_parts(texts(key, before or []), texts(key, after or []))
            changed = any(part.status != "same" for part in parts)
            fields.append(FieldDiff(key, label, changed, parts=parts))
        else:
            # Line endings are how a browser posted the text, not a change.
            before, after = as_text(before), as_text(after)
            before, after = before.replace("\r\n", "\n"), after.replace("\r\n", "\n")
            changed = before != after
            html = text_diff(before, after)
            fields.append(FieldDiff(key, label, changed, html=html))
    return fields

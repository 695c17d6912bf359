"""Marking the first use of each glossary term on a page as an accessible definition."""

import re
from dataclasses import dataclass
from functools import lru_cache

from django.urls import reverse

from editorial.evidence import without_marks

# Text inside these elements is never linked: headings stay plain, links stay single.
SKIP_INSIDE = {"a", "h1", "h2", "h3", "h4", "dfn", "code", "pre"}
TAG = re.compile(r"(<[^>]+>)")
TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")


@dataclass(frozen=True)
class Term:
    slug: str
    term: str
    definition: str
    forms: tuple

    @staticmethod
    def url_of(slug):
        """The term's entry on the glossary page."""
        return f"{reverse('treatments:glossary')}#term-{slug}"

    @classmethod
    def from_snapshot(cls, snapshot):
        forms = [snapshot["term"], *snapshot.get("also_matches", [])]
        # Longest first, so "somatostatin analogs" wins over "somatostatin".
        return cls(
            snapshot["slug"],
            snapshot["term"],
            without_marks(snapshot["definition"]),
            tuple(sorted({f for f in forms if f.strip()}, key=len, reverse=True)),
        )


@lru_cache(maxsize=8)
def term_pattern(terms):
    """One compiled pattern for a set of terms (compiled once per set of published terms)."""
    alternatives = {}
    for term in terms:
        for form in term.forms:
            alternatives.setdefault(form.lower(), term)
    ordered = sorted(alternatives, key=len, reverse=True)
    if not ordered:
        return None, {}
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(form) for form in ordered) + r")(?![\w-])",
        re.IGNORECASE,
    )
    return pattern, alternatives


def link_terms(html: str, terms) -> tuple[str, list]:
    """Link the first use of each term to its definition; return (html, terms used).

    Each link points at the glossary entry and is described by the definition list
    that the page prints under "Words on this page", so keyboard and screen reader
    users reach the definition too.
    """
    pattern, by_form = term_pattern(tuple(sorted(terms, key=lambda term: term.slug)))
    if pattern is None:
        return html, []
    used = []
    seen = set()
    open_skips = []
    out = []

    def replace(match):
        text = match.group(1)
        term = by_form.get(text.lower()) or next(
            # Case-insensitive matching knows more letter pairs than str.lower (e.g. ſ/s).
            t
            for form, t in by_form.items()
            if re.fullmatch(re.escape(form), text, re.IGNORECASE)
        )
        if term.slug in seen:
            return match.group(0)
        seen.add(term.slug)
        used.append(term)
        return (
            f'<a class="term" href="{Term.url_of(term.slug)}" '
            f'aria-describedby="define-{term.slug}">{match.group(0)}</a>'
        )

    for piece in TAG.split(html):
        if piece.startswith("<"):
            name_match = TAG_NAME.match(piece)
            if name_match:
                closing, name = name_match.group(1), name_match.group(2).lower()
                if name in SKIP_INSIDE:
                    if closing and name in open_skips:
                        open_skips.remove(name)
                    elif not closing:
                        open_skips.append(name)
            out.append(piece)
        elif open_skips:
            out.append(piece)
        else:
            out.append(pattern.sub(replace, piece))
    return "".join(out), used

"""Site search: full-text with weights, ranking and typo tolerance on PostgreSQL;
a plain substring fallback on SQLite."""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import SearchEntry

MAX_WORDS = 8
MIN_TRIGRAM_SIMILARITY = 0.45
SNIPPET_CHARS = 180


def query_words(query: str) -> list[str]:
    return re.findall(r"\w+", query or "")[:MAX_WORDS]


@dataclass
class Result:
    entry: SearchEntry
    snippet: str


def search(query: str) -> list[Result]:
    words = query_words(query)
    if not words:
        return []
    if connection.vendor == "postgresql":
        entries = postgres_search(words)
    else:
        entries = simple_search(words)
    return [Result(entry, snippet(entry, words)) for entry in entries]


def postgres_search(words):
    from django.contrib.postgres.search import (
        SearchQuery,
        SearchRank,
        SearchVector,
        TrigramWordSimilarity,
    )

    vector = (
        SearchVector("title", weight="A", config="english")
        + SearchVector("keywords", weight="A", config="english")
        + SearchVector("text", weight="C", config="english")
    )
    search_query = None
    for word in words:
        term = SearchQuery(word, search_type="plain", config="english")
        search_query = term if search_query is None else search_query | term
    phrase = " ".join(words)
    return list(
        SearchEntry.objects.annotate(
            rank=SearchRank(vector, search_query),
            similarity=Greatest(
                TrigramWordSimilarity(phrase, "title"),
                TrigramWordSimilarity(phrase, "keywords"),
            ),
        )
        .filter(Q(rank__gt=0) | Q(similarity__gte=MIN_TRIGRAM_SIMILARITY))
        .order_by(-(F("rank") + F("similarity")), "title")[:30]
    )


def simple_search(words):
    condition = Q()
    for word in words:
        condition |= (
            Q(title__icontains=word)
            | Q(keywords__icontains=word)
            | Q(text__icontains=word)
        )
    entries = list(SearchEntry.objects.filter(condition))

    def score(entry):
        total = 0
        for word in words:
            word = word.lower()
            total += 3 * (word in entry.title.lower()) + 3 * (
                word in entry.keywords.lower()
            )
            total += entry.text.lower().count(word)
        return -total

    return sorted(entries, key=lambda e: (score(e), e.title))[:30]


def snippet(entry, words) -> str:
    """A short excerpt around the first match, escaped, with matches in <mark>."""
    text = " ".join(entry.text.split())
    lowered = text.lower()
    positions = [lowered.find(w.lower()) for w in words if lowered.find(w.lower()) >= 0]
    start = max(0, min(positions) - 60) if positions else 0
    excerpt = text[start : start + SNIPPET_CHARS]
    if start > 0:
        excerpt = "…" + excerpt.split(" ", 1)[-1]
    if start + SNIPPET_CHARS < len(text):
        excerpt = excerpt.rsplit(" ", 1)[0] + "…"
    # Find matches in the plain text, then escape each piece: a match can never
    # land inside a character reference.
    pattern = re.compile(
        r"(?<!\w)("
        + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
        + ")",
        re.IGNORECASE,
    )
    pieces, last = [], 0
    for match in pattern.finditer(excerpt):
        pieces.append(escape(excerpt[last : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    pieces.append(escape(excerpt[last:]))
    highlighted = "".join(pieces)
    return mark_safe(highlighted)

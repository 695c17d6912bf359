"""Site search: full-text with weights, ranking and typo tolerance on PostgreSQL;
a plain substring fallback on SQLite."""

import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import F, Func, Q
from django.db.models.functions import Greatest
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import SearchEntry, current_language

MAX_WORDS = 8
MIN_TRIGRAM_SIMILARITY = 0.45
SNIPPET_CHARS = 180


def query_words(query: str) -> list[str]:
    return re.findall(r"\w+", query or "")[:MAX_WORDS]


@dataclass
class Result:
    entry: SearchEntry
    snippet: str


def fold(text: str) -> str:
    """Lower case without accents, one character for one (so positions match):
    "Cirugía" -> "cirugia"."""
    return "".join(
        (unicodedata.normalize("NFD", char)[0].lower() or " ")[0] for char in text
    )


def search(query: str, language=None) -> list[Result]:
    """Published content in a language (default: the active one) matching `query`."""
    words = query_words(query)
    if not words:
        return []
    entries = SearchEntry.objects.in_language(language)
    language = language or current_language()
    if connection.vendor == "postgresql":
        entries = postgres_search(entries, words, language)
    else:
        entries = simple_search(entries, words)
    return [Result(entry, snippet(entry, words)) for entry in entries]


class Unaccent(Func):
    function = "unaccent"


def postgres_search(entries, words, language):
    from django.contrib.postgres.search import (
        SearchQuery,
        SearchRank,
        SearchVector,
        TrigramWordSimilarity,
    )

    setup = settings.SEARCH_CONFIGS.get(language) or {"config": "simple"}
    config, unaccent = setup["config"], setup.get("unaccent", False)

    def column(name):
        return Unaccent(F(name)) if unaccent else name

    vector = (
        SearchVector(column("title"), weight="A", config=config)
        + SearchVector(column("keywords"), weight="A", config=config)
        + SearchVector(column("text"), weight="C", config=config)
    )
    search_query = None
    for word in words:
        word = fold(word) if unaccent else word
        term = SearchQuery(word, search_type="plain", config=config)
        search_query = term if search_query is None else search_query | term
    phrase = " ".join(fold(word) if unaccent else word for word in words)
    return list(
        entries.annotate(
            rank=SearchRank(vector, search_query),
            similarity=Greatest(
                TrigramWordSimilarity(phrase, column("title")),
                TrigramWordSimilarity(phrase, column("keywords")),
            ),
        )
        .filter(Q(rank__gt=0) | Q(similarity__gte=MIN_TRIGRAM_SIMILARITY))
        .order_by(-(F("rank") + F("similarity")), "title")[:30]
    )


def simple_search(entries, words):
    """Substring matches, accents and case ignored (in Python: SQLite cannot fold
    accents, and one language's entries are a few hundred at most)."""
    words = [fold(word) for word in words]

    def score(entry):
        title, keywords, text = (
            fold(entry.title),
            fold(entry.keywords),
            fold(entry.text),
        )
        total = 0
        for word in words:
            total += 3 * (word in title) + 3 * (word in keywords)
            total += text.count(word)
        return -total

    scored = [(score(entry), entry.title, entry) for entry in entries]
    found = sorted((item for item in scored if item[0] < 0), key=lambda i: i[:2])
    return [entry for _score, _title, entry in found][:30]


def snippet(entry, words) -> str:
    """A short excerpt around the first match, escaped, with matches in <mark>."""
    text = " ".join(entry.text.split())
    lowered = fold(text)
    folded_words = [fold(w) for w in words]
    positions = [lowered.find(w) for w in folded_words if lowered.find(w) >= 0]
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
        + "|".join(
            re.escape(w) for w in sorted(set(folded_words), key=len, reverse=True)
        )
        + ")",
        re.IGNORECASE,
    )
    pieces, last = [], 0
    # Matched on the folded excerpt (same length), marked on the excerpt itself.
    for match in pattern.finditer(fold(excerpt)):
        pieces.append(escape(excerpt[last : match.start()]))
        pieces.append(f"<mark>{escape(excerpt[match.start() : match.end()])}</mark>")
        last = match.end()
    pieces.append(escape(excerpt[last:]))
    highlighted = "".join(pieces)
    return mark_safe(highlighted)

"""Site search: the query's weighty words (stop words dropped, approved synonyms
read as the guide's words), each of which a result must hold; full-text with
weights and stemming on PostgreSQL, word starts on SQLite; one ranking and typo
correction for both (docs/public-site.md)."""

import functools
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F
from django.utils.html import escape
from django.utils.safestring import mark_safe

from editorial.models import current_language
from netguide.page_cache import remembered

from .models import SearchEntry, approved_synonyms, cache_kinds
from .models.search_index import search_config
from .stop_words import without_stop_words

MAX_WORDS = 8
# How many letters a word may go on past what was typed, on SQLite.
SUFFIX_LETTERS = 4
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
    if text.isascii():
        return text.lower()
    return "".join(map(fold_character, text))


@functools.lru_cache(maxsize=4096)  # typed text may hold any character
def fold_character(char):
    return (unicodedata.normalize("NFD", char)[0].lower() or " ")[0]


def search(query: str, language=None) -> list[Result]:
    """Published content in a language (default: the active one) about every word
    of `query` that carries weight, with the words patients use read as the guide's
    own (approved synonyms)."""
    language = language or current_language()
    words = query_words(query)
    terms = search_terms(words, language)
    if not terms:
        return []
    entries = SearchEntry.objects.in_language(language)
    scored = scored_entries(entries, terms, language)
    if not scored and len(terms) == 1:
        # One word that finds nothing may be a typo of a title's or keyword's word.
        correction = closest_name(terms[0], entries, language)
        if correction:
            terms = [correction]
            scored = scored_entries(entries, terms, language)
    shown = list(dict.fromkeys(without_stop_words(map(fold, words), language) + terms))
    return [Result(entry, snippet(entry, shown)) for entry in ranked(scored, terms)]


def scored_entries(entries, terms, language):
    if connection.vendor == "postgresql":
        return postgres_search(entries, terms, language)
    return simple_search(entries, terms)


def title_words(entries, language):
    """Every word of the searched titles and keywords in a language, folded: kept in
    the cache until content of a searched kind is published, so that a typo does not
    read every title again."""
    return remembered(
        f"search-title-words:{language}",
        cache_kinds(searched=True),
        lambda: sorted(
            {
                name
                for title, keywords in entries.values_list("title", "keywords")
                for name in re.findall(r"\w+", fold(f"{title} {keywords}"))
            }
        ),
    )


def closest_name(word, entries, language):
    """The word of a title or keywords a typed word misspells by one edit in four
    letters after the first at most ("Luthatera": "lutathera"; but "prognosis" is
    not "diagnosis"), or None."""
    allowed = (len(word) - 1) // 4  # none for four letters ("cure" is not "care")
    if not allowed:
        return None
    names = title_words(entries, language)
    found = sorted(
        (edits(word, name, allowed), name)
        for name in names
        if abs(len(name) - len(word)) <= allowed
    )
    return found[0][1] if found and 0 < found[0][0] <= allowed else None


def edits(a, b, limit=None):
    """Letters to add, drop, change or swap with their neighbour to turn a into b
    (past `limit`, when given, only that it is more: limit + 1)."""
    previous2, previous = None, list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            cost = min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (letter != other),
            )
            if i > 1 and j > 1 and letter == b[j - 2] and a[i - 2] == other:
                cost = min(cost, previous2[j - 2] + 1)
            current.append(cost)
        if limit is not None and min(current) > limit:
            return limit + 1  # no later row has fewer
        previous2, previous = previous, current
    return previous[-1]


def search_terms(words, language) -> list[str]:
    """The query's words that carry weight (no stop words), folded, each phrase of
    an approved synonym replaced by the guide's words."""
    terms = without_stop_words([fold(word) for word in words], language)
    replacements = sorted(
        (
            (phrase, meaning)
            for patient_words, means in approved_synonyms(language)
            for phrase in [weighty_words(p, language) for p in patient_words]
            if phrase
            for meaning in [weighty_words(means, language)]
        ),
        key=lambda pair: -len(pair[0]),
    )
    found, at = [], 0
    while at < len(terms):
        for phrase, meaning in replacements:
            if terms[at : at + len(phrase)] == phrase:
                found += meaning
                at += len(phrase)
                break
        else:
            found.append(terms[at])
            at += 1
    return list(dict.fromkeys(found))


def weighty_words(text, language):
    return without_stop_words(re.findall(r"\w+", fold(text)), language)


def ranked(scored, terms):
    """Best first: a page titled with just the query's words, then the pages whose
    title or keywords hold more of them, then those with sentences saying them all,
    then the score; pages about how the guide works after the guide's content,
    unless the query names them; words found far apart not at all."""

    def order(item):
        entry, score = item
        set_aside = entry.about_the_guide and not any(
            starts_a_word(term, fold(entry.title), True) for term in terms
        )
        # A word meaning titled with the query still comes after the pages using it.
        titled = (
            entry.weight >= 1 and weighty_words(entry.title, entry.language) == terms
        )
        named = fold(f"{entry.title} {entry.keywords}")
        naming = sum(starts_a_word(term, named, True) for term in terms)
        return (
            set_aside,
            not titled,
            -naming * entry.weight,
            -sentences_saying_all(entry, terms) * entry.weight,
            -score * entry.weight,
            entry.title,
        )

    together = [
        (entry, score) for entry, score in scored if found_together(entry, terms)
    ]
    return [entry for entry, _score in sorted(together, key=order)][:30]


def postgres_search(entries, terms, language):
    """(entry, score) of the entries that hold every term (stemmed), read from the
    vector kept with each entry (SearchEntry.vector)."""
    config, _unaccent = search_config(language)
    search_query = None
    for term in terms:
        each = SearchQuery(term, search_type="plain", config=config)
        search_query = each if search_query is None else search_query & each
    found = (
        entries.defer("vector")
        .annotate(rank=SearchRank(F("vector"), search_query))
        # (not rank > 0: ts_rank gives the entries that do not match 1e-20)
        .filter(vector=search_query)
        .order_by("-rank", "title")[:60]
    )
    return [(entry, entry.rank) for entry in found]


def word_pattern(term, any_ending=False):
    """A word that starts as the term does, less a plural or -ing ending, and
    goes on by a few letters ("shots" finds "shot", "slow" finds "slowly",
    "inyecciones" finds "inyección")."""
    stem = term
    for ending in ("ing", "es", "ed", "s"):
        if term.endswith(ending) and len(term) - len(ending) >= 4:
            stem = term[: -len(ending)]
            break
    # In a title or keywords a longer word may go on as it likes ("chemo" finds
    # "Chemotherapy").
    ending = (
        r"\w*" if any_ending and len(term) >= 5 else rf"\w{{0,{SUFFIX_LETTERS}}}(?!\w)"
    )
    return re.compile(rf"(?<!\w){re.escape(stem)}{ending}")


def starts_a_word(term, folded_text, any_ending=False):
    return word_pattern(term, any_ending).search(folded_text) is not None


def found_together(entry, terms):
    """Whether the terms the title and keywords do not hold are said in one
    sentence of the text: words found far apart ("how long we keep it" ... "where
    you live") are a coincidence, not an answer. A term this cannot find (found
    by PostgreSQL's stemming) is not held against the entry."""
    named = fold(f"{entry.title} {entry.keywords}")
    rest = [term for term in terms if not starts_a_word(term, named, True)]
    sentences = re.split(r"[.!?]", fold(entry.text))
    located = []
    for term in rest:
        for pattern in (word_pattern(term), loose_pattern(term)):
            if any(pattern.search(sentence) for sentence in sentences):
                located.append(pattern)
                break
    if len(located) < 2:
        return True
    return any(all(p.search(sentence) for p in located) for sentence in sentences)


def sentences_saying_all(entry, terms, most=2):
    """How many sentences of the text hold every term (at most `most`): "grow
    slowly" said of a tumor beats "slow" here and "growth" there."""
    if len(terms) < 2:
        return 0
    patterns = [word_pattern(term) for term in terms]
    sentences = re.split(r"[.!?]", fold(entry.text))
    together = sum(all(p.search(s) for p in patterns) for s in sentences)
    return min(together, most)


def loose_pattern(term):
    """The word's start, for an ending stemming takes off ("vivir", "vive")."""
    return re.compile(rf"(?<!\w){re.escape(term[: max(3, len(term) - 2)])}")


def simple_search(entries, terms):
    """(entry, score) of the entries that hold every term at the start of a word,
    accents and case ignored (in Python: SQLite cannot fold accents, and one
    language's entries are a few hundred at most). The title and keywords count
    most; the text counts each time it says the term, three times at most."""
    patterns = [(word_pattern(term), word_pattern(term, True)) for term in terms]
    found = []
    for entry in entries:
        title, keywords, text = (
            fold(entry.title),
            fold(entry.keywords),
            fold(entry.text),
        )
        score = 0
        for pattern, named in patterns:
            in_text = len(pattern.findall(text))
            in_title = named.search(title) is not None
            in_keywords = named.search(keywords) is not None
            if not (in_text or in_title or in_keywords):
                break
            score += 10 * in_title + 10 * in_keywords + min(in_text, 3)
        else:
            found.append((entry, score))
    return found


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

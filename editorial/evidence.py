"""Evidence marks: how a statement says what it rests on (docs/content.md).

A statement ends with `[[seed:12]]` (passage 12 of the source `seed`), several
`[[seed:12 seed:14]]`, or `[[explains]]` (plain-language explanation, no medical
claim, confirmed by the reviewer who approves it). Marks are kept byte for byte in
content and revisions; patients never see them.

Each reviewable type says which snapshot keys hold statements (`statement_keys`,
or `statement_texts()` for nested parts); this module splits them into statements
(a sentence, or a list item of a Markdown body; headings are not statements), reads
their marks, and finds the passages they cite in the sources (the model that says
`evidence_source = True`, found in Django's model registry: no content app is
named here).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from django.apps import apps
from django.conf import settings

from netguide.page_cache import remembered

MARK = re.compile(r"[ \t]*\[\[(?:explains|[a-z0-9-]+:\d+(?:[ \t]+[a-z0-9-]+:\d+)*)\]\]")
# One mark, its contents captured.
MARK_CONTENTS = re.compile(r"\[\[([^\]]*)\]\]")
CITATION = re.compile(r"([a-z0-9-]+):(\d+)")
EXPLAINS = "explains"
# A sentence ends at . ! or ? (and any closing quote or bracket) before a space and
# a capital, a digit or an opening mark.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’)\]]*\s+(?=[\"“(¿¡A-ZÁÉÍÓÚÑ0-9])")
HEADING = re.compile(r"^\s{0,3}#{1,6}\s")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def without_marks(text):
    """The text a patient reads: every evidence mark (and the space before it) gone."""
    return MARK.sub("", text or "")


def without_marks_in(value):
    """A content snapshot (dicts, lists, strings at any depth) as a patient reads it:
    every string without its evidence marks. The revision itself keeps them."""
    if isinstance(value, str):
        return without_marks(value)
    if isinstance(value, dict):
        return {key: without_marks_in(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_marks_in(item) for item in value]
    return value


@dataclass(frozen=True)
class Statement:
    """One statement a patient reads: where it is, its words, what it rests on."""

    where: str
    text: str  # without its mark
    citations: tuple = ()  # ((source slug, passage id), ...)
    explains: bool = False

    @property
    def marked(self):
        return bool(self.citations) or self.explains

    @property
    def key(self):
        """What makes it the same statement in two revisions: words and mark."""
        return (self.text, self.citations, self.explains)

    def cites(self):
        return ", ".join(f"{slug}:{passage}" for slug, passage in self.citations)


def read_mark(mark):
    """(citations, explains) of one mark's text ("[[seed:1 seed:2]]")."""
    contents = MARK_CONTENTS.search(mark).group(1).strip()
    if contents == EXPLAINS:
        return (), True
    return tuple((slug, int(n)) for slug, n in CITATION.findall(contents)), False


# A period that ends an abbreviation ("U.S.", "e.g.", "Dr.") ends no sentence.
ABBREVIATION = re.compile(
    r"(?:\b[A-Za-z]\.|\b(?:Dr|Dra|Mr|Mrs|Ms|Sr|Sra|St|vs|etc|approx|No|Nº)\.)$"
)


def sentences(text):
    found = []
    for part in SENTENCE_END.split(text):
        part = part.strip()
        if not part:
            continue
        if found and ABBREVIATION.search(found[-1]):
            found[-1] += " " + part
        else:
            found.append(part)
    return found


def split_marked(text, where, whole=False):
    """The statements of a run of text: each mark closes the statement before it;
    text before a mark that holds several sentences gives the earlier ones none.
    `whole`: the text is one statement (a list item) however many sentences."""
    found, start = [], 0
    for match in MARK.finditer(text):
        parts = [text[start : match.start()].strip()]
        if not whole:
            parts = sentences(parts[0])
        citations, explains = read_mark(match.group(0))
        if parts and parts[-1]:
            found += [Statement(where, part) for part in parts[:-1]]
            found.append(Statement(where, parts[-1], citations, explains))
        start = match.end()
    rest = text[start:].strip()
    if rest:
        parts = [rest] if whole else sentences(rest)
        found += [Statement(where, part) for part in parts]
    return found


def markdown_blocks(body):
    """The body's statement-bearing blocks: (text, is a list item). Headings,
    blank lines and horizontal rules are not statements."""
    blocks, paragraph, item = [], [], None

    def close():
        nonlocal item
        if paragraph:
            blocks.append((" ".join(paragraph), False))
            paragraph.clear()
        if item is not None:
            blocks.append((item, True))
            item = None

    for line in (body or "").split("\n"):
        stripped = line.strip()
        if not stripped or HEADING.match(line) or re.fullmatch(r"[-*_]{3,}", stripped):
            close()
            continue
        stripped = stripped.lstrip("> ").strip()
        if LIST_ITEM.match(line):
            close()
            item = LIST_ITEM.sub("", line).strip()
        elif item is not None and line[:1].isspace():
            item += " " + stripped  # a list item's continuation line
        else:
            if item is not None:
                close()
            paragraph.append(stripped)
    close()
    return blocks


def statements_in(text, where, markdown=False):
    """The statements of one text (a Markdown body if `markdown`)."""
    if not markdown:
        return split_marked(text or "", where)
    found = []
    for block, is_item in markdown_blocks(text):
        found += split_marked(block, where, whole=is_item)
    return found


def statements_of(model, snapshot):
    """Every statement of a revision's snapshot, in the order the type lists them."""
    found = []
    for where, text, markdown in model.statement_texts(snapshot):
        found += statements_in(text, where, markdown)
    return found


def marks_in(value):
    """Every mark in a value (text, or lists and tables of text), as its text."""
    if isinstance(value, str):
        return [match.group(0).strip() for match in MARK.finditer(value)]
    if isinstance(value, dict):
        return [mark for item in value.values() for mark in marks_in(item)]
    if isinstance(value, list | tuple):
        return [mark for item in value for mark in marks_in(item)]
    return []


def unknown_citations(value, known):
    """Messages for each citation in `value` of a source or passage not in `known`
    ({source slug: {passage id, ...}})."""
    problems = []
    for mark in marks_in(value):
        for slug, passage in read_mark(mark)[0]:
            if slug not in known:
                problems.append(f"{mark} cites “{slug}”, which is not a source.")
            elif passage not in known[slug]:
                problems.append(
                    f"{mark} cites passage {passage} of “{slug}”, which has no "
                    "such passage."
                )
    return list(dict.fromkeys(problems))


# The sources ------------------------------------------------------------------


def source_model():
    """The content type that holds sources (it says `evidence_source = True`)."""
    return next(
        (m for m in apps.get_models() if getattr(m, "evidence_source", False)), None
    )


def known_passages():
    """{slug: {passage id}} of every source, its draft and its approved revision:
    what an editor may cite (the review then asks for approved passages)."""
    model = source_model()
    known = {}
    if model is None:
        return known
    for source in model.objects.select_related("live_revision"):
        ids = known.setdefault(source.slug, set())
        ids.update(passage["id"] for passage in source.passages)
        if source.live_revision_id:
            snapshot = source.live_revision.snapshot
            known.setdefault(snapshot["slug"], set()).update(
                passage["id"] for passage in snapshot["passages"]
            )
    return known


@dataclass
class ApprovedSources:
    """The approved revisions of every source: what a citation may rest on."""

    sources: dict = field(default_factory=dict)  # slug: snapshot

    @classmethod
    def load(cls):
        model = source_model()
        if model is None:
            return cls()
        return cls(
            {
                record.live_revision.snapshot["slug"]: record.live_revision.snapshot
                for record in model.objects.published()
            }
        )

    @classmethod
    def remembered(cls):
        """The approved sources, kept in the cache until a source is published
        (public pages list the sources they cite)."""
        model = source_model()
        if model is None:
            return cls()
        return cls(
            remembered(
                "approved-sources", [model.cache_kind], lambda: cls.load().sources
            )
        )

    @cached_property
    def passages(self):
        return {
            (slug, passage["id"]): passage["text"]
            for slug, snapshot in self.sources.items()
            for passage in snapshot["passages"]
        }

    def passage(self, slug, passage):
        return self.passages.get((slug, passage))

    def supported(self, statement):
        """Cites only approved passages, or is an explanation."""
        if statement.explains:
            return True
        return bool(statement.citations) and all(
            citation in self.passages for citation in statement.citations
        )

    def unsupported(self, statements):
        return [each for each in statements if not self.supported(each)]

    def cited_sources(self, statements):
        """The approved sources these statements cite, in order of first citation:
        [{slug, title, publisher, published, url}]."""
        slugs = dict.fromkeys(
            slug for each in statements for slug, _passage in each.citations
        )
        return [
            {**self.sources[slug], "published_on": published_on(self.sources[slug])}
            for slug in slugs
            if slug in self.sources
        ]


def published_on(source):
    """A source's date as a date, for patients' date format (None if it has none)."""
    try:
        return date.fromisoformat(source.get("published") or "")
    except ValueError:
        return None


def evidence_required():
    """Whether approval is refused while a statement lacks support (switched on
    once every content file carries its marks: settings.EVIDENCE_REQUIRED)."""
    return getattr(settings, "EVIDENCE_REQUIRED", False)


def unsupported_refusal(statements, limit=5):
    """The refusal's words naming the statements without support, or ""."""
    if not statements:
        return ""
    named = "; ".join(f"{each.where}: “{each.text}”" for each in statements[:limit])
    more = f" (and {len(statements) - limit} more)" if len(statements) > limit else ""
    return (
        f"{len(statements)} statement(s) cite no approved passage and are not "
        f"marked as an explanation: {named}{more}. Cite a passage ([[seed:12]]) or "
        "mark it [[explains]] before it is approved."
    )

"""Every statement in content/ says what it rests on: a passage of the seed source
or an explanation mark (issue 24). Read straight from the files with a parser of its
own, so a statement the import would drop cannot hide from it."""

import re
import tomllib
from pathlib import Path

CONTENT = Path(__file__).resolve().parent.parent / "content"
SEED = CONTENT / "sources" / "seed.md"

# One mark, as docs/content.md writes it: `[[seed:12]]`, `[[seed:12 seed:14]]`,
# `[[explains]]`, after the sentence and one space.
MARK = re.compile(r" \[\[(explains|[a-z0-9-]+:\d+(?: [a-z0-9-]+:\d+)*)\]\]")
# Periods that do not end a sentence.
ABBREVIATIONS = re.compile(r"\b(U\.S\.|e\.g\.|i\.e\.)")
# A sentence ends at . ! or ? (after any closing quote or bracket), then a space.
SENTENCE_END = re.compile(r"[.!?][)\"”’]*(?= )")

# The fields of each kind of file that a patient reads as statements. `[[fits]]`
# reasons (the explorer's fit rules) are left to the explorer's own check.
TREATMENT_TEXT = ("aims", "how_given", "hospital_stay", "also_ask")
TREATMENT_LISTS = ("key_points", "questions")
RECORD_TEXT = {
    "drugs.toml": ("drugs", ("description", "how_given")),
    "side-effects.toml": ("side_effects", ("description",)),
    "glossary.toml": ("terms", ("definition",)),
}
SITE_TEXT = ("cta_heading", "cta_text")


def seed_passages():
    return {int(n) for n in re.findall(r"^## (\d+)$", SEED.read_text(), re.M)}


def front_matter_and_body(path):
    _, front, body = path.read_text().split("+++\n", 2)
    return tomllib.loads(front), body


def body_statements(body):
    """Each paragraph line and list item of a Markdown body (headings are titles)."""
    for line in body.splitlines():
        line = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", line).strip()
        if line and not line.startswith("#"):
            yield line


def statements(path):
    """(where, text) of every statement in one content file."""
    name = path.name
    if path.suffix == ".md":
        meta, body = front_matter_and_body(path)
        yield "summary", meta["summary"]
        if "treatments" in path.parts:
            for key in TREATMENT_TEXT:
                if meta.get(key):  # an empty compare cell says nothing
                    yield key, meta[key]
            for key in TREATMENT_LISTS:
                for number, item in enumerate(meta.get(key, []), 1):
                    yield f"{key}[{number}]", item
            for procedure in meta.get("procedures", []):
                yield f"procedure {procedure['name']}", procedure["description"]
        for number, line in enumerate(body_statements(body), 1):
            yield f"body line {number}", line
    elif name in RECORD_TEXT:
        table, keys = RECORD_TEXT[name]
        for record in tomllib.loads(path.read_text())[table]:
            for key in keys:
                if record.get(key):
                    yield f"{record['slug']}.{key}", record[key]
    elif name == "site.toml":
        site = tomllib.loads(path.read_text())
        for key in SITE_TEXT:
            yield key, site[key]


def problems_of(text, passages):
    """What is wrong with one statement's marks ([] when every sentence has one)."""
    problems = []
    for mark in MARK.finditer(text):
        if mark.group(1) != "explains":
            for cited in mark.group(1).split():
                source, number = cited.split(":")
                if source != "seed" or int(number) not in passages:
                    problems.append(f"cites {cited}, which is not a passage")
    if not re.search(MARK.pattern + "$", text):
        return problems + ["does not end with an evidence mark"]
    # Between two marks (or before the first) there is one sentence or several,
    # and each sentence ends right before a mark.
    for piece in MARK.split(text)[0::2]:
        inner = ABBREVIATIONS.sub("", piece.strip())
        if SENTENCE_END.search(inner):
            problems.append(f"a sentence without a mark: {piece.strip()!r}")
    return problems


def content_files():
    return sorted(
        path
        for path in CONTENT.rglob("*")
        if path.is_file() and "sources" not in path.parts
    )


def test_the_seed_source_has_its_92_passages():
    assert seed_passages() == set(range(1, 93))


def test_every_statement_in_content_cites_the_seed_or_is_an_explanation():
    passages = seed_passages()
    unmapped = [
        f"{path.relative_to(CONTENT)} {where}: {problem}: {text}"
        for path in content_files()
        for where, text in statements(path)
        for problem in problems_of(text, passages)
    ]
    assert unmapped == [], "\n".join(unmapped)


def test_the_check_finds_what_it_should():
    passages = {1, 2}
    assert problems_of("It helps. [[seed:1]]", passages) == []
    both = "It helps. [[seed:1 seed:2]] It is a word. [[explains]]"
    assert problems_of(both, passages) == []
    assert problems_of("It helps.", passages) == ["does not end with an evidence mark"]
    assert problems_of("It helps. It works. [[seed:1]]", passages) == [
        "a sentence without a mark: 'It helps. It works.'"
    ]
    assert problems_of("It helps. [[seed:3]]", passages) == [
        "cites seed:3, which is not a passage"
    ]
    assert problems_of("The U.S. FDA approved it. [[seed:2]]", passages) == []


def test_marked_texts_still_fit_their_database_fields():
    """A mark adds characters: PostgreSQL refuses a summary over its 200."""
    from treatments.models import Drug, Page, Question, SiteSettings, Treatment

    limits = {
        "summary": min(
            Treatment._meta.get_field("summary").max_length,
            Page._meta.get_field("summary").max_length,
        ),
        "questions": Question._meta.get_field("text").max_length,
        "how_given": Drug._meta.get_field("how_given").max_length,
        "cta_heading": SiteSettings._meta.get_field("cta_heading").max_length,
    }
    too_long = [
        f"{path.relative_to(CONTENT)} {where}: {len(text)} > {limits[key]}"
        for path in content_files()
        for where, text in statements(path)
        for key in limits
        if (where == key or where.startswith(f"{key}[") or where.endswith(f".{key}"))
        and not (key == "how_given" and path.suffix == ".md")
        and len(text) > limits[key]
    ]
    assert too_long == []

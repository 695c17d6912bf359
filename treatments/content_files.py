"""Reading and writing the content/ folder: Markdown with TOML front matter.

The format is Hugo's: front matter between `+++` lines, then the Markdown body.
Lists of shared records (side effects, drugs, glossary terms) are plain TOML files.
The writer emits one canonical layout so that import then export reproduces the
files byte for byte.

The source language's files are at the top of the folder; each other language of
settings.LANGUAGES has the same layout in a subfolder named by its code
(content/es/). A translated page or treatment names its source with
`translation_of` (the second key) and its file keeps the source's name; a
translated side effect, drug or glossary term keeps its source's slug.
"""

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

FRONT_MATTER_FENCE = "+++"

SITE_FILE = "site.toml"
SIDE_EFFECTS_FILE = "side-effects.toml"
DRUGS_FILE = "drugs.toml"
GLOSSARY_FILE = "glossary.toml"
PAGES_DIR = "pages"
TREATMENTS_DIR = "treatments"

SITE_KEYS = (
    "site_name",
    "phone_number",
    "cta_heading",
    "cta_text",
    "review_interval_months",
)
PAGE_KEYS = ("slug", "translation_of", "title", "summary")
SIDE_EFFECT_KEYS = ("slug", "name", "description")
DRUG_KEYS = ("slug", "brand_name", "generic_name", "how_given", "description")
GLOSSARY_KEYS = ("slug", "term", "also_matches", "definition")
TREATMENT_KEYS = (
    "slug",
    "translation_of",
    "title",
    "summary",
    "order",
    "specialty",
    "key_points",
    "aims",
    "how_given",
    "hospital_stay",
    "also_ask",
    "drugs",
    "side_effects",
    "questions",
)
PROCEDURE_KEYS = ("name", "description")
FIT_KEYS = ("when", "unless", "reason")


class ContentError(Exception):
    """A content file that cannot be imported; the message names the file."""

    def __init__(self, path, problem):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


def source_only(keys):
    """The keys of a source-language record: no `translation_of`."""
    return tuple(key for key in keys if key != "translation_of")


@dataclass
class ContentBundle:
    """Everything in a content folder, parsed and checked, ready to import.

    `translations` holds one bundle per other language found in the folder."""

    language: str = ""
    translations: dict = field(default_factory=dict)
    site: dict = field(default_factory=dict)
    pages: list = field(default_factory=list)
    side_effects: list = field(default_factory=list)
    drugs: list = field(default_factory=list)
    glossary: list = field(default_factory=list)
    treatments: list = field(default_factory=list)


# Reading ---------------------------------------------------------------------


def read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ContentError(path, "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(path, f"is not valid TOML ({error})") from None


def read_markdown(path: Path) -> tuple[dict, str]:
    """Split a Markdown file into its front matter (a dict) and its body."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, "is not UTF-8 text") from None
    lines = text.split("\n")
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise ContentError(path, "must start with front matter between '+++' lines")
    try:
        end = next(
            i
            for i, line in enumerate(lines[1:], 1)
            if line.strip() == FRONT_MATTER_FENCE
        )
    except StopIteration:
        raise ContentError(path, "front matter has no closing '+++' line") from None
    try:
        front_matter = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as error:
        raise ContentError(path, f"front matter is not valid TOML ({error})") from None
    body = "\n".join(lines[end + 1 :]).strip("\n")
    return front_matter, body


def require(path, record, keys, where=""):
    """Check a record has every key with the right kind of value; return it trimmed."""
    checked = {}
    for key in keys:
        if key not in record:
            raise ContentError(path, f"{where}missing '{key}'")
        value = record[key]
        if key in {"order", "review_interval_months"}:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ContentError(path, f"{where}'{key}' must be a whole number")
        elif key in {
            "key_points",
            "drugs",
            "side_effects",
            "questions",
            "also_matches",
        }:
            if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value
            ):
                raise ContentError(path, f"{where}'{key}' must be a list of text")
        elif not isinstance(value, str):
            raise ContentError(path, f"{where}'{key}' must be text")
        elif key in {
            "slug",
            "title",
            "name",
            "brand_name",
            "generic_name",
            "label",
            "site_name",
            "term",
            "definition",
        }:
            if not value.strip():
                raise ContentError(path, f"{where}'{key}' must not be empty")
        checked[key] = value
    unknown = set(record) - set(keys) - {"procedures", "fits"}
    if unknown:
        raise ContentError(
            path, f"{where}unknown field(s): {', '.join(sorted(unknown))}"
        )
    return checked


def read_records(path: Path, table: str, keys) -> list[dict]:
    data = read_toml(path)
    records = data.get(table)
    if not isinstance(records, list):
        raise ContentError(path, f"must hold a list of [[{table}]] tables")
    return [
        require(path, record, keys, f"record {n}: ")
        for n, record in enumerate(records, 1)
    ]


def check_unique(path, records, key="slug"):
    seen = set()
    for record in records:
        if record[key] in seen:
            raise ContentError(path, f"duplicate {key} '{record[key]}'")
        seen.add(record[key])


def check_references(path, values, known, kind):
    for value in values:
        if value not in known:
            raise ContentError(path, f"unknown {kind} '{value}'")


def read_fits(path, table, where):
    """The [[fits]] rules of a treatment or procedure, checked against the questions."""
    from .explore import validate_fit_rules

    fits = table.get("fits", [])
    try:
        validate_fit_rules(fits)
    except ValueError as error:
        raise ContentError(path, f"{where}{error}") from None
    return [
        {"when": fit["when"], "unless": fit.get("unless", []), "reason": fit["reason"]}
        for fit in fits
    ]


def load_content_dir(directory: Path) -> ContentBundle:
    """Read and check a whole content folder, its translations included; raise
    ContentError at the first problem."""
    from django.conf import settings

    bundle = load_language_dir(Path(directory), settings.LANGUAGE_CODE)
    for code, _name in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE and (Path(directory) / code).is_dir():
            translation = load_language_dir(Path(directory) / code, code, bundle)
            bundle.translations[code] = translation
    return bundle


def check_translates(path, records, source_records, key, kind):
    """Each translated record names a record of the source language."""
    known = {record["slug"] for record in source_records}
    check_references(path, [record[key] for record in records], known, kind)


def load_language_dir(directory: Path, language, source=None) -> ContentBundle:
    """One language's files; `source` is the source language's bundle when these
    are translations."""
    from .models import Specialty

    if not directory.is_dir():
        raise ContentError(directory, "is not a folder")
    bundle = ContentBundle(language=language)
    page_keys = PAGE_KEYS if source else source_only(PAGE_KEYS)
    treatment_keys = TREATMENT_KEYS if source else source_only(TREATMENT_KEYS)
    bundle.site = require(
        directory / SITE_FILE, read_toml(directory / SITE_FILE), SITE_KEYS
    )

    bundle.side_effects = read_records(
        directory / SIDE_EFFECTS_FILE, "side_effects", SIDE_EFFECT_KEYS
    )
    check_unique(directory / SIDE_EFFECTS_FILE, bundle.side_effects)
    bundle.drugs = read_records(directory / DRUGS_FILE, "drugs", DRUG_KEYS)
    check_unique(directory / DRUGS_FILE, bundle.drugs)
    bundle.glossary = read_records(directory / GLOSSARY_FILE, "terms", GLOSSARY_KEYS)
    check_unique(directory / GLOSSARY_FILE, bundle.glossary)

    for path in sorted((directory / PAGES_DIR).glob("*.md")):
        front_matter, body = read_markdown(path)
        page = require(path, front_matter, page_keys)
        page["body"] = body
        page["path"] = path
        bundle.pages.append(page)
    check_unique(directory / PAGES_DIR, bundle.pages)

    known = {
        "side effect": {record["slug"] for record in bundle.side_effects},
        "drug": {record["slug"] for record in bundle.drugs},
    }
    seen_slugs = {}
    for path in sorted((directory / TREATMENTS_DIR).glob("*.md")):
        front_matter, body = read_markdown(path)
        treatment = require(path, front_matter, treatment_keys)
        if treatment["specialty"] and treatment["specialty"] not in Specialty.values:
            raise ContentError(path, f"unknown specialty '{treatment['specialty']}'")
        if treatment["slug"] in seen_slugs:
            raise ContentError(
                path,
                f"duplicate slug '{treatment['slug']}' (also in {seen_slugs[treatment['slug']].name})",
            )
        seen_slugs[treatment["slug"]] = path
        if not 2 <= len(treatment["key_points"]) <= 4:
            raise ContentError(path, "'key_points' must hold 2 to 4 points")
        treatment["fits"] = read_fits(path, front_matter, "")
        check_references(path, treatment["drugs"], known["drug"], "drug")
        check_references(
            path, treatment["side_effects"], known["side effect"], "side effect"
        )
        procedures = front_matter.get("procedures", [])
        if not isinstance(procedures, list):
            raise ContentError(
                path, "'procedures' must be a list of [[procedures]] tables"
            )
        treatment["procedures"] = []
        for n, procedure in enumerate(procedures, 1):
            where = f"procedure {n}: "
            if not isinstance(procedure, dict):
                raise ContentError(path, f"{where}must be a [[procedures]] table")
            checked = require(path, procedure, PROCEDURE_KEYS, where)
            checked["fits"] = read_fits(path, procedure, where)
            treatment["procedures"].append(checked)
        treatment["body"] = body
        treatment["path"] = path
        bundle.treatments.append(treatment)
    if not bundle.treatments:
        raise ContentError(
            directory / TREATMENTS_DIR, "holds no treatment files (*.md)"
        )
    if source:
        for records, source_records, key, kind, where in (
            (bundle.pages, source.pages, "translation_of", "page", PAGES_DIR),
            (
                bundle.treatments,
                source.treatments,
                "translation_of",
                "treatment",
                TREATMENTS_DIR,
            ),
            (
                bundle.side_effects,
                source.side_effects,
                "slug",
                "side effect",
                SIDE_EFFECTS_FILE,
            ),
            (bundle.drugs, source.drugs, "slug", "drug", DRUGS_FILE),
            (bundle.glossary, source.glossary, "slug", "glossary term", GLOSSARY_FILE),
        ):
            check_translates(directory / where, records, source_records, key, kind)
    return bundle


# Writing ---------------------------------------------------------------------


def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        # JSON string escapes are valid TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        if not value:
            return "[]"
        items = "".join(f"    {toml_value(item)},\n" for item in value)
        return f"[\n{items}]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_table(record: dict, keys) -> str:
    return "".join(f"{key} = {toml_value(record[key])}\n" for key in keys)


def toml_array_of_tables(name: str, records, keys) -> str:
    return "\n".join(f"[[{name}]]\n{toml_table(record, keys)}" for record in records)


def markdown_file(front_matter: str, body: str) -> str:
    text = f"{FRONT_MATTER_FENCE}\n{front_matter}{FRONT_MATTER_FENCE}\n"
    if body:
        text += "\n" + body.strip("\n") + "\n"
    return text


def fit_tables(name, fits) -> str:
    # "unless" is written only where a rule has one.
    return "".join(
        f"\n[[{name}]]\n"
        + toml_table(fit, [k for k in FIT_KEYS if k != "unless" or fit["unless"]])
        for fit in fits
    )


def keys_of(record, keys):
    return keys if "translation_of" in record else source_only(keys)


def treatment_file(record: dict) -> str:
    front_matter = toml_table(record, keys_of(record, TREATMENT_KEYS))
    front_matter += fit_tables("fits", record["fits"])
    for procedure in record["procedures"]:
        front_matter += "\n[[procedures]]\n" + toml_table(procedure, PROCEDURE_KEYS)
        front_matter += fit_tables("procedures.fits", procedure["fits"])
    return markdown_file(front_matter, record["body"])


def file_slug(record: dict) -> str:
    """A translation's file keeps its source's name, so the two sit side by side."""
    return record.get("translation_of") or record["slug"]


def treatment_filename(record: dict) -> str:
    return f"{record['order']:02d}-{file_slug(record)}.md"


def write_content_dir(directory: Path, bundle: ContentBundle) -> list[Path]:
    """Write a bundle and its translations in the canonical layout; return the
    paths written."""
    directory = Path(directory)
    written = write_language_dir(directory, bundle)
    for code, translation in bundle.translations.items():
        written += write_language_dir(directory / code, translation)
    return written


def write_language_dir(directory: Path, bundle: ContentBundle) -> list[Path]:
    (directory / PAGES_DIR).mkdir(parents=True, exist_ok=True)
    (directory / TREATMENTS_DIR).mkdir(parents=True, exist_ok=True)
    files = {
        directory / SITE_FILE: toml_table(bundle.site, SITE_KEYS),
        directory / SIDE_EFFECTS_FILE: toml_array_of_tables(
            "side_effects", bundle.side_effects, SIDE_EFFECT_KEYS
        ),
        directory / DRUGS_FILE: toml_array_of_tables("drugs", bundle.drugs, DRUG_KEYS),
        directory / GLOSSARY_FILE: toml_array_of_tables(
            "terms", bundle.glossary, GLOSSARY_KEYS
        ),
    }
    for page in bundle.pages:
        files[directory / PAGES_DIR / f"{file_slug(page)}.md"] = markdown_file(
            toml_table(page, keys_of(page, PAGE_KEYS)), page["body"]
        )
    for treatment in bundle.treatments:
        files[directory / TREATMENTS_DIR / treatment_filename(treatment)] = (
            treatment_file(treatment)
        )
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)

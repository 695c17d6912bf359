"""Reading and writing the content/ folder: TOML files and Markdown with TOML front
matter (Hugo's convention: front matter between `+++` lines, then the body).

Each content type says where its records live and which keys they have, with a
`content_file` (a ContentFile) on its model; this module reads and writes every type
that has one, found in Django's model registry. The writer emits one canonical layout
so that import then export reproduces the files byte for byte.

The source language's files are at the top of the folder; each other language of
settings.LANGUAGES has the same layout in a subfolder named by its code
(content/es/). A translated record names its source: Markdown records with
`translation_of` (the second key; the file keeps the source's name), records in a
list file by keeping the source's slug, a single-record file by its folder.
"""

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings

from editorial.evidence import unknown_citations

FRONT_MATTER_FENCE = "+++"


class ContentError(Exception):
    """A content file that cannot be imported; the message names the file."""

    def __init__(self, path, problem):
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class ContentFile:
    """Where one content type's records live in a content folder, and their keys.

    One of three shapes: a single record in a TOML file (`single`), a list of
    records in a TOML file (`records`, as [[table]] entries), or one Markdown file
    per record in a folder (`markdown`: the keys in the front matter, then the body).
    """

    path: str  # a file, or the folder of Markdown files
    keys: tuple  # in the order the writer writes them
    table: str = ""  # a list file's [[table]] name
    markdown: bool = False
    numbers: tuple = ()  # whole numbers
    lists: tuple = ()  # lists of text
    required: tuple = ()  # text that must not be empty
    nested: tuple = ()  # [[tables]] of the front matter the type reads itself

    @classmethod
    def single(cls, path, keys, **kinds):
        return cls(path, tuple(keys), **kinds)

    @classmethod
    def records(cls, path, table, keys, **kinds):
        return cls(path, tuple(keys), table=table, **kinds)

    @classmethod
    def folder(cls, path, keys, **kinds):
        return cls(path, tuple(keys), markdown=True, **kinds)

    @property
    def is_single(self):
        return not self.table and not self.markdown

    @property
    def translates_by(self):
        """The key that names a translation's source record."""
        return "translation_of" if "translation_of" in self.keys else "slug"

    def keys_for(self, language):
        """A source-language record has no `translation_of`."""
        if language == settings.LANGUAGE_CODE:
            return tuple(key for key in self.keys if key != "translation_of")
        return self.keys

    def keys_of(self, record):
        if "translation_of" in record:
            return self.keys
        return tuple(key for key in self.keys if key != "translation_of")


def file_types():
    """Every model that keeps its records in content/, in the app registry's order
    (a type is defined after the types it refers to)."""
    found = [
        model for model in apps.get_models() if getattr(model, "content_file", None)
    ]
    # Sources first: every other type's statements cite them.
    return sorted(found, key=lambda model: not getattr(model, "evidence_source", False))


@dataclass
class ContentBundle:
    """Everything in a content folder, parsed and checked, ready to import: each
    type's records ({model: [record, ...]}) in one language, and a bundle for each
    other language found in the folder."""

    language: str
    records: dict = field(default_factory=dict)
    translations: dict = field(default_factory=dict)

    def of(self, model):
        return self.records.get(model, [])

    def file_count(self):
        """How many files the bundle and its translations write."""
        count = sum(
            len(records) if model.content_file.markdown else 1
            for model, records in self.records.items()
        )
        return count + sum(each.file_count() for each in self.translations.values())


# Reading ---------------------------------------------------------------------


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, "is not UTF-8 text") from None
    except FileNotFoundError:
        raise ContentError(path, "is missing") from None


def read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as error:
        raise ContentError(path, f"is not valid TOML ({error})") from None


def read_markdown(path: Path) -> tuple[dict, str]:
    """Split a Markdown file into its front matter (a dict) and its body."""
    lines = read_text(path).split("\n")
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


def require(path, record, spec, keys, where=""):
    """Check a record has every key with the right kind of value; return it trimmed
    to `keys` (the type's nested tables are left for it to read)."""
    checked = {}
    for key in keys:
        if key not in record:
            raise ContentError(path, f"{where}missing '{key}'")
        value = record[key]
        if key in spec.numbers:
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ContentError(path, f"{where}'{key}' must be a whole number")
        elif key in spec.lists:
            if not isinstance(value, list) or not all(
                isinstance(v, str) for v in value
            ):
                raise ContentError(path, f"{where}'{key}' must be a list of text")
        elif not isinstance(value, str):
            raise ContentError(path, f"{where}'{key}' must be text")
        elif key in spec.required and not value.strip():
            raise ContentError(path, f"{where}'{key}' must not be empty")
        checked[key] = value
    unknown = set(record) - set(keys) - set(spec.nested)
    if unknown:
        raise ContentError(
            path, f"{where}unknown field(s): {', '.join(sorted(unknown))}"
        )
    return checked


def check_unique(path, records, key="slug"):
    """Each record's `key` once; a Markdown record's error names its own file."""
    seen = {}
    for record in records:
        value = record[key]
        if value in seen:
            first = seen[value]
            if first is None:
                raise ContentError(path, f"duplicate {key} '{value}'")
            raise ContentError(
                record["path"], f"duplicate {key} '{value}' (also in {first.name})"
            )
        seen[value] = record.get("path")


def check_references(path, values, known, kind):
    for value in values:
        if value not in known:
            raise ContentError(path, f"unknown {kind} '{value}'")


def read_records(model, directory: Path, language, bundle):
    """One type's records in one language's folder, checked."""
    spec = model.content_file
    keys = spec.keys_for(language)
    path = directory / spec.path
    name = model._meta.verbose_name
    if spec.is_single:
        if not path.exists():
            return []
        data = read_toml(path)
        return [
            model.checked_file_record(
                path, require(path, data, spec, keys), data, bundle
            )
        ]
    if spec.table:
        if not path.exists():
            return []  # a type with nothing in this folder
        records = read_toml(path).get(spec.table)
        if not isinstance(records, list):
            raise ContentError(path, f"must hold a list of [[{spec.table}]] tables")
        checked = []
        for n, record in enumerate(records, 1):
            if not isinstance(record, dict):
                raise ContentError(
                    path, f"record {n}: must be a [[{spec.table}]] table"
                )
            where = f"record {n}: "
            trimmed = require(path, record, spec, keys, where)
            checked.append(model.checked_file_record(path, trimmed, record, bundle))
        check_unique(path, checked)
        return checked
    checked = []
    for file in sorted(path.glob("*.md")):
        front_matter, body = read_markdown(file)
        record = require(file, front_matter, spec, keys)
        record = model.checked_file_record(file, record, front_matter, bundle)
        record["body"] = body
        record["path"] = file
        checked.append(record)
    check_unique(path, checked)
    if not checked and model.content_file_needed:
        raise ContentError(path, f"holds no {name} files (*.md)")
    return checked


def passages_in(bundle):
    """{source slug: {passage id}} of the sources in a (source-language) bundle."""
    known = {}
    for model, records in bundle.records.items():
        if getattr(model, "evidence_source", False):
            for record in records:
                try:
                    known[record["slug"]] = set(model.passages_of_record(record))
                except ValueError as error:
                    raise ContentError(record["path"], str(error)) from None
    return known


def check_citations(path, records, sources):
    """Every evidence mark cites a passage of a source in content/sources/."""
    known = passages_in(sources)
    for record in records:
        problems = unknown_citations(
            {key: value for key, value in record.items() if key != "path"}, known
        )
        if problems:
            raise ContentError(record.get("path", path), " ".join(problems))


def load_content_dir(directory: Path) -> ContentBundle:
    """Read and check a whole content folder, its translations included; raise
    ContentError at the first problem."""
    directory = Path(directory)
    bundle = load_language_dir(directory, settings.LANGUAGE_CODE)
    for code, _name in settings.LANGUAGES:
        if code != settings.LANGUAGE_CODE and (directory / code).is_dir():
            bundle.translations[code] = load_language_dir(
                directory / code, code, bundle
            )
    return bundle


def load_language_dir(directory: Path, language, source=None) -> ContentBundle:
    """One language's files; `source` is the source language's bundle when these
    are translations."""
    if not directory.is_dir():
        raise ContentError(directory, "is not a folder")
    bundle = ContentBundle(language=language)
    for model in file_types():
        bundle.records[model] = read_records(model, directory, language, bundle)
        check_citations(
            directory / model.content_file.path, bundle.of(model), source or bundle
        )
        if source is not None:
            spec = model.content_file
            if spec.is_single:
                continue
            known = {record["slug"] for record in source.of(model)}
            check_references(
                directory / spec.path,
                [record[spec.translates_by] for record in bundle.records[model]],
                known,
                model._meta.verbose_name,
            )
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


def markdown_file(front_matter: str, body: str) -> str:
    text = f"{FRONT_MATTER_FENCE}\n{front_matter}{FRONT_MATTER_FENCE}\n"
    if body:
        text += "\n" + body.strip("\n") + "\n"
    return text


def file_slug(record: dict) -> str:
    """A translation's file keeps its source's name, so the two sit side by side."""
    return record.get("translation_of") or record["slug"]


def files_of(model, directory: Path, records) -> dict:
    """{path: text} of one type's records in one language's folder."""
    spec = model.content_file
    if spec.is_single:
        if not records:
            return {}
        record = records[0]
        return {
            directory / spec.path: toml_table(record, spec.keys_of(record))
            + model.nested_tables(record)
        }
    if spec.table:
        if not records:
            return {}
        text = "\n".join(
            f"[[{spec.table}]]\n{toml_table(record, spec.keys_of(record))}"
            for record in records
        )
        return {directory / spec.path: text}
    return {
        directory / spec.path / model.file_name(record): markdown_file(
            toml_table(record, spec.keys_of(record)) + model.nested_tables(record),
            record["body"],
        )
        for record in records
    }


def write_content_dir(directory: Path, bundle: ContentBundle) -> list[Path]:
    """Write a bundle and its translations in the canonical layout; return the
    paths written."""
    directory = Path(directory)
    written = write_language_dir(directory, bundle)
    for code, translation in bundle.translations.items():
        written += write_language_dir(directory / code, translation)
    return written


def write_language_dir(directory: Path, bundle: ContentBundle) -> list[Path]:
    files = {}
    for model, records in bundle.records.items():
        if model.content_file.markdown and records:
            (directory / model.content_file.path).mkdir(parents=True, exist_ok=True)
        files.update(files_of(model, directory, records))
    directory.mkdir(parents=True, exist_ok=True)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)

"""Reading level of what a patient reads (Flesch-Kincaid grade)."""

import re
import warnings
from functools import cache

TARGET_GRADE = 8.0


def plain_text(markdown_source: str) -> str:
    """Markdown reduced to sentences: headings and list items count as sentences."""
    lines = []
    for line in markdown_source.splitlines():
        line = re.sub(r"^\s*(#+|[-*+]|\d+\.)\s+", "", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"[*_`]", "", line).strip()
        if line:
            lines.append(line if line[-1] in ".!?:" else line + ".")
    return " ".join(lines)


def prose_of(snapshot, prose_keys) -> str:
    """All the words of a content snapshot that a patient reads: the strings and
    lists of strings under `prose_keys`, at any depth."""
    parts = []
    if isinstance(snapshot, dict):
        for key, value in snapshot.items():
            if key in prose_keys and isinstance(value, str):
                parts.append(plain_text(value))
            elif key in prose_keys and isinstance(value, list):
                parts.extend(
                    plain_text(item) for item in value if isinstance(item, str)
                )
            elif isinstance(value, (list, dict)):
                parts.append(prose_of(value, prose_keys))
    elif isinstance(snapshot, list):
        parts.extend(prose_of(item, prose_keys) for item in snapshot)
    return " ".join(part for part in parts if part)


@cache
def textstat():
    """Imported on first use: it is slow to import and only editors' screens need it."""
    with warnings.catch_warnings():
        # textstat 0.7.4 imports pkg_resources, which warns that it is deprecated.
        warnings.simplefilter("ignore")
        import textstat

    return textstat


def reading_grade(text: str) -> float:
    if not text.strip():
        return 0.0
    return float(textstat().flesch_kincaid_grade(text))

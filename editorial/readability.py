"""Reading level of what a patient reads, measured per language.

English: Flesch-Kincaid grade, at most 8. Spanish: Fernández Huerta, at least 70.
Which measure and bound a language has is data (settings.READABILITY).
"""

import re
import threading
import warnings
from dataclasses import dataclass
from functools import cache

from django.conf import settings

from .evidence import without_marks

TARGET_GRADE = 8.0


def plain_text(markdown_source: str) -> str:
    """Markdown reduced to sentences: headings and list items count as sentences."""
    lines = []
    # Evidence marks are for reviewers: patients read the text without them.
    for line in without_marks(markdown_source).splitlines():
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
    return reading_level(text, "en").score


MEASURE_NAMES = {
    "flesch_kincaid_grade": "Flesch-Kincaid grade",
    "fernandez_huerta": "Fernández Huerta score",
}
# textstat keeps its language in a module global: one measurement at a time.
_textstat_lock = threading.Lock()


@dataclass(frozen=True)
class ReadingLevel:
    measure: str
    score: float
    most: float | None = None
    least: float | None = None

    @property
    def ok(self):
        if self.most is not None and self.score > self.most:
            return False
        return self.least is None or self.score >= self.least

    @property
    def target(self):
        """How the target reads to editors: "grade 8 or lower", "70 or higher"."""
        if self.most is not None:
            return f"{self.most:.0f} or lower"
        return f"{self.least:.0f} or higher"

    @property
    def problem(self):
        """Why the level misses its target, for the editor; "" when it does not."""
        if self.ok:
            return ""
        name = MEASURE_NAMES.get(self.measure, self.measure)
        if self.most is not None:
            return (
                f"This page reads at grade {self.score:.1f}, above our target of "
                f"grade {self.most:.0f} ({name})."
            )
        return (
            f"This page's {name} is {self.score:.1f}, below our target of "
            f"{self.least:.0f} or higher."
        )

    def __str__(self):
        return f"{MEASURE_NAMES.get(self.measure, self.measure)} {self.score:.1f}"


def reading_level(text: str, language: str) -> ReadingLevel:
    """The language's measure of `text` with its bound (settings.READABILITY)."""
    rule = (
        settings.READABILITY.get(language)
        or settings.READABILITY[settings.LANGUAGE_CODE]
    )
    bounds = {"most": rule.get("most"), "least": rule.get("least")}
    if not text.strip():
        score = 0.0 if rule.get("most") is not None else 100.0
        return ReadingLevel(rule["measure"], score, **bounds)
    module = textstat()
    with _textstat_lock:
        module.set_lang(rule["textstat_lang"])
        try:
            score = float(getattr(module, rule["measure"])(text))
        finally:
            module.set_lang("en_US")
    return ReadingLevel(rule["measure"], score, **bounds)

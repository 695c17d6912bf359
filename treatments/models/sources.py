"""Sources: the published texts our statements rest on (the seed page first).

A source is reviewed content like a page: its title, who published it, its date,
where to find it, and its passages, each quoted verbatim under a stable number.
Statements cite passages with evidence marks (`[[seed:12]]`, editorial/evidence.py);
a newly approved revision of a source that changes a passage sends every page
citing it back to review.
"""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from ..content_files import ContentError, ContentFile
from .base import Content, one_slug_per_language

PASSAGE_HEADING = re.compile(r"^## (\d+)$")


def parse_passages(text):
    """[{"id", "text"}] of a source's passages ("## 12" then the quoted text);
    ValueError saying what is wrong."""
    passages, current = [], None
    for line in text.strip("\n").split("\n"):
        heading = PASSAGE_HEADING.match(line)
        if heading:
            current = {"id": int(heading.group(1)), "text": []}
            passages.append(current)
        elif current is None:
            if line.strip():
                raise ValueError(
                    "Start each passage with its number as a heading, e.g. “## 1”."
                )
        else:
            current["text"].append(line)
    ids = set()
    for passage in passages:
        passage["text"] = "\n".join(passage["text"]).strip()
        if passage["id"] in ids:
            raise ValueError(f"Passage {passage['id']} appears twice.")
        if not passage["text"]:
            raise ValueError(f"Passage {passage['id']} has no text.")
        ids.add(passage["id"])
    return passages


class Source(Content):
    """A published text our statements cite, by passage."""

    evidence_source = True  # editorial.evidence finds the sources by this
    cache_kind = "sources"  # every page lists the sources it cites
    preview_kind = "source"
    preview_template = "treatments/includes/source_content.html"
    template_name = "treatments/source_preview.html"
    checks_reading_level = False  # quoted as published, not our prose
    diff_labels = {
        "title": "Title",
        "publisher": "Published by",
        "published": "Date",
        "url": "Where to find it",
        "passages": "Passages",
    }
    content_file = ContentFile.folder(
        "sources",
        ("slug", "title", "publisher", "published", "url"),
        required=("slug", "title", "publisher", "published"),
    )

    slug = models.SlugField(
        help_text="How statements cite it: [[slug:12]] cites its passage 12."
    )
    title = models.CharField(max_length=200)
    publisher = models.CharField(
        "published by", max_length=200, help_text="Who published it, as it says."
    )
    published = models.DateField(help_text="The date it gives itself.")
    url = models.URLField("where to find it", blank=True)
    body = models.TextField(
        "passages",
        help_text="Each passage quoted verbatim under its number: “## 1”, then the "
        "text. A changed passage keeps its number; a new one takes the next free "
        "number. Pages citing a changed passage go back to review.",
    )

    class Meta:
        ordering = ["title"]
        constraints = [one_slug_per_language()]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        # Patients read a source's title, publisher and date on each page citing it.
        return reverse("treatments:policy")

    @property
    def passages(self):
        return parse_passages(self.body)

    def clean(self):
        super().clean()
        try:
            passages = parse_passages(self.body)
        except ValueError as error:
            raise ValidationError({"body": str(error)}) from None
        # Numbers are stable: statements cite them, and a changed passage is found by
        # its number. A new passage takes a number never used before.
        used = (
            {
                passage["id"]
                for snapshot in self.revisions().values_list("snapshot", flat=True)
                for passage in snapshot.get("passages", [])
            }
            if self.pk
            else set()
        )
        new = sorted(p["id"] for p in passages if p["id"] not in used)
        first_free = max(used, default=0) + 1
        for expected, number in enumerate(new, first_free):
            if number != expected:
                raise ValidationError(
                    {
                        "body": f"Give passage {number} the next free number "
                        f"({expected}): a new passage never takes the number of an "
                        "earlier one, so citations keep pointing where they did."
                    }
                )

    def snapshot(self):
        return {
            **self.fields_of("slug", "title", "publisher", "url"),
            "published": self.published.isoformat() if self.published else "",
            "passages": self.passages,
        }

    @classmethod
    def diff_item_text(cls, key, item):
        if key == "passages":
            return f"{item['id']}. {item['text']}"
        return super().diff_item_text(key, item)

    def restore_fields(self, snapshot):
        super().restore_fields(snapshot)
        self.body = passages_text(snapshot["passages"])

    # In content/: sources/<slug>.md -------------------------------------------------

    @classmethod
    def checked_file_record(cls, path, record, raw, bundle):
        try:
            record["published"] = date.fromisoformat(record["published"])
        except ValueError:
            raise ContentError(
                path, "'published' must be a date like \"2024-01-31\""
            ) from None
        return record

    @classmethod
    def passages_of_record(cls, record):
        """{id: text} of a source read from content/ (for checking citations)."""
        return {p["id"]: p["text"] for p in parse_passages(record["body"])}

    def file_value(self, key):
        if key == "published":
            return self.published.isoformat()
        return super().file_value(key)


def passages_text(passages):
    return "\n\n".join(f"## {p['id']}\n{p['text']}" for p in passages)

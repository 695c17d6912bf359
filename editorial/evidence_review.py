"""What the evidence map tells reviewers: which statements rest on which approved
passages, which rest on none, and which published pages cite a passage that an
approved revision of its source changed or withdrew since they were last reviewed.

Nothing here is stored: it is read from the revisions and the audit trail, so a
page leaves the "a source it cites changed" list the moment a reviewer approves or
confirms it again.
"""

from dataclasses import dataclass
from datetime import datetime

from .diffing import word_diff
from .evidence import ApprovedSources, source_model
from .models import Action
from .registry import reviewable_models


@dataclass(frozen=True)
class PassageChange:
    """An approved revision of a source changed (or withdrew) one passage."""

    source: str  # the source's slug
    title: str
    passage: int
    old: str
    new: str  # "" when the passage was withdrawn
    approved_at: datetime

    @property
    def withdrawn(self):
        return not self.new

    @property
    def reason(self):
        what = "was withdrawn" if self.withdrawn else "changed"
        return (
            f"Passage {self.passage} of “{self.title}” ({self.source}:{self.passage}) "
            f"{what} on {self.approved_at:%B} {self.approved_at.day}, "
            f"{self.approved_at.year}."
        )

    def word_diff(self):
        return word_diff(self.old, self.new)


def passage_changes():
    """Every passage an approved revision of a source changed or withdrew, oldest
    first."""
    model = source_model()
    if model is None:
        return []
    changes = []
    for source in model.objects.published():
        entries = (
            source.audit_entries()
            .filter(action=Action.APPROVED)
            .select_related("revision")
            .order_by("created_at", "pk")
        )
        before = None
        for entry in entries:
            after = entry.revision.snapshot
            if before is not None:
                new = {p["id"]: p["text"] for p in after["passages"]}
                changes += [
                    PassageChange(
                        before["slug"],
                        after["title"],
                        passage["id"],
                        passage["text"],
                        new.get(passage["id"], ""),
                        entry.created_at,
                    )
                    for passage in before["passages"]
                    if new.get(passage["id"]) != passage["text"]
                ]
            before = after
    return changes


def cited_by_live_revision(record):
    return {
        citation
        for statement in record.live_revision.statements()
        for citation in statement.citations
    }


def changes_since_review(record, changes):
    """The passage changes, approved after this record was last reviewed, of the
    passages its live revision cites."""
    if record.live_revision_id is None or not changes:
        return []
    cited = cited_by_live_revision(record)
    reviewed = record.last_reviewed_at
    return [
        change
        for change in changes
        if (change.source, change.passage) in cited
        and (reviewed is None or reviewed < change.approved_at)
    ]


def pages_with_changed_evidence():
    """[(record, [PassageChange])] of every published record whose live revision
    cites a passage changed since its last review: due for review, with why."""
    changes = passage_changes()
    if not changes:
        return []
    flagged = []
    for model in reviewable_models():
        if getattr(model, "evidence_source", False):
            continue
        for record in model.objects.published():
            found = changes_since_review(record, changes)
            if found:
                flagged.append((record, found))
    return flagged


def published_without_support():
    """[(record, [Statement])] of published records with statements that cite no
    approved passage and are not marked as explanations."""
    approved = ApprovedSources.load()
    found = []
    for model in reviewable_models():
        for record in model.objects.published():
            unsupported = approved.unsupported(record.live_revision.statements())
            if unsupported:
                found.append((record, unsupported))
    return found


@dataclass
class CitedStatement:
    statement: object
    passages: list  # [(citation "seed:12", quoted text or None)]


def review_evidence(record, revision):
    """What the review screen shows beside the diff: the statements without
    support (first), the new or changed explanations for the reviewer to confirm,
    each new or changed statement with the passages it cites, and the cited
    passages changed since the page was last reviewed (old and new, word by word)."""
    approved = ApprovedSources.load()
    statements = revision.statements()
    live = (
        {each.key for each in record.live_revision.statements()}
        if record.live_revision_id and record.live_revision_id != revision.pk
        else set()
    )
    new = [each for each in statements if each.key not in live]
    return {
        "statement_count": len(statements),
        "unsupported": approved.unsupported(statements),
        "explanations": [each for each in new if each.explains],
        "cited": [
            CitedStatement(
                each,
                [
                    (f"{slug}:{passage}", approved.passage(slug, passage))
                    for slug, passage in each.citations
                ],
            )
            for each in new
            if each.citations
        ],
        "changed_passages": changes_since_review(record, passage_changes()),
    }

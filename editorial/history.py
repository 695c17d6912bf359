"""A record's revision history as editors and reviewers read it.

Restoring (Reviewable.restore) never rewrites it: the earlier revision's content
becomes a new draft revision in the restorer's name.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from .models import Action, Revision


@dataclass
class HistoryRow:
    revision: Revision
    contributors: list
    is_live: bool
    is_latest: bool
    is_scheduled: bool
    entries: list = field(default_factory=list)

    @property
    def state(self):
        if self.is_live and self.is_latest:
            return "Public (latest)"
        if self.is_live:
            return "Public"
        if self.is_scheduled:
            return "Approved to go live later"
        if self.is_latest:
            return "Latest draft"
        if any(entry.action == Action.APPROVED for entry in self.entries):
            return "Was public"
        return "Earlier draft"

    @property
    def decisions(self):
        """The workflow's word on this revision (submitted, approved, changes…)."""
        return [entry for entry in self.entries if entry.action != Action.CREATED]


def history_of(record) -> list[HistoryRow]:
    """Every revision of `record`, newest first, with who and what happened to it."""
    revisions = list(record.revisions().select_related("author"))
    entries = {}
    for entry in (
        record.audit_entries().select_related("user").order_by("created_at", "pk")
    ):
        entries.setdefault(entry.revision_id, []).append(entry)
    user_ids = {pk for revision in revisions for pk in revision.contributor_ids}
    users = get_user_model().objects.in_bulk(user_ids)
    return [
        HistoryRow(
            revision=revision,
            contributors=[users[pk] for pk in revision.contributor_ids if pk in users],
            is_live=revision.pk == record.live_revision_id,
            is_latest=revision.pk == record.latest_revision_id,
            is_scheduled=revision.pk == record.scheduled_revision_id,
            entries=entries.get(revision.pk, []),
        )
        for revision in revisions
    ]

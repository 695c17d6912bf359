"""What a public page displays: a revision's content plus the review facts a patient sees."""

from functools import cached_property


class PublishedContent:
    """One revision of a reviewable record, as a page shows it.

    Review details are read lazily so that lists of cards cost no extra queries.
    """

    def __init__(self, record, revision, is_draft=False):
        self.record = record
        self.revision = revision
        self.content = revision.snapshot
        self.is_draft = is_draft

    @property
    def updated_at(self):
        return self.record.content_updated_at or self.revision.created_at

    @property
    def reviewed_at(self):
        return self.record.last_reviewed_at

    @property
    def next_review_due(self):
        return self.record.next_review_due

    @cached_property
    def reviewer_byline(self):
        return self.record.latest_sign_off_byline()

    @cached_property
    def changes(self):
        """(date, summary) of each approved change, newest first."""
        return self.record.change_history()

    @cached_property
    def translation_behind(self):
        """For a published translation whose source was updated since: where the
        newer source is ({code, language_name, url}); else None."""
        notice = getattr(self.record, "source_update_notice", None)
        return notice() if notice and not self.is_draft else None

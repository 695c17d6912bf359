"""The editorial engine's models, one module per concept (as Wagtail's core keeps
revisions, draft state and workflows): revisions and the audit trail, the
reviewable base with its workflow, translations, share links, editing marks and
sign-in failures. Lower modules never import the ones above them."""

from .background import BackgroundTask
from .collaboration import EditingMark
from .login import LoginFailure
from .reviewable import Reviewable, ReviewableQuerySet, RevisionPage
from .revisions import AuditEntry, Revision, content_hash, revision_permission
from .sharing import ShareLink
from .states import DECISIONS, Action, ReviewState, Step
from .translation import (
    TranslatableMixin,
    TranslatableQuerySet,
    current_language,
    language_field,
    language_in_sentence,
    translation_of_field,
)
from .workflow import WorkflowError, add_months

__all__ = [
    "BackgroundTask",
    "DECISIONS",
    "Action",
    "AuditEntry",
    "EditingMark",
    "LoginFailure",
    "ReviewState",
    "Reviewable",
    "ReviewableQuerySet",
    "Revision",
    "RevisionPage",
    "ShareLink",
    "Step",
    "TranslatableMixin",
    "TranslatableQuerySet",
    "WorkflowError",
    "add_months",
    "content_hash",
    "current_language",
    "language_field",
    "language_in_sentence",
    "revision_permission",
    "translation_of_field",
]

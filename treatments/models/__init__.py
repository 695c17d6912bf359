"""The treatment guide's content types, one module per concept."""

from .base import (
    Content,
    ContentQuerySet,
    SharedRecord,
    Specialty,
    cache_kinds,
    content_types,
)
from .glossary import GlossaryTerm, published_terms
from .pages import Page
from .reviewers import ReviewerProfile, default_reviewer_languages
from .search_index import SearchEntry
from .site import SiteSettings

# Before the treatments: their fit rules are checked against the questions on import.
from .situation import SituationQuestions
from .sources import Source
from .synonyms import Synonym, approved_synonyms
from .treatment import (
    Drug,
    Procedure,
    Question,
    SideEffect,
    Treatment,
    fit_rules_validator,
)

__all__ = [
    "Content",
    "ContentQuerySet",
    "cache_kinds",
    "Drug",
    "GlossaryTerm",
    "Page",
    "Procedure",
    "Question",
    "ReviewerProfile",
    "SearchEntry",
    "SharedRecord",
    "SideEffect",
    "Source",
    "SiteSettings",
    "SituationQuestions",
    "Specialty",
    "Synonym",
    "Treatment",
    "content_types",
    "default_reviewer_languages",
    "fit_rules_validator",
    "approved_synonyms",
    "published_terms",
]

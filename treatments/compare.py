"""Which treatments a /compare/ address asks for, normalised so each comparison has one address."""

from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass
class CompareSelection:
    """The chosen published treatments, in home-page order: every one the patient
    chose (nothing is dropped without their choosing), and how many were unknown."""

    pages: list
    unknown: int = 0
    is_canonical: bool = True

    @staticmethod
    def normalise(requested, known_in_order):
        """Known slugs only, once each, in home-page order."""
        wanted = set(requested)
        return [slug for slug in known_in_order if slug in wanted]

    @classmethod
    def from_query(cls, requested, published):
        by_slug = {page.content["slug"]: page for page in published}
        wanted = set(requested)
        chosen = [page for page in published if page.content["slug"] in wanted]
        selection = cls(
            pages=chosen,
            unknown=len(wanted - set(by_slug)),
        )
        selection.is_canonical = requested == cls.normalise(requested, list(by_slug))
        return selection

    @property
    def slugs(self):
        return [page.content["slug"] for page in self.pages]

    @property
    def query(self):
        return urlencode([("t", slug) for slug in self.slugs])

    @property
    def ready(self):
        return len(self.pages) >= 2

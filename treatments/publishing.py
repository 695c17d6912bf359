"""What a public page displays: content plus the dates a patient sees."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PublishedContent:
    content: dict
    updated_at: datetime

    def __getitem__(self, key):
        return self.content[key]

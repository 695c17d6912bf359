"""How medical reviewers are named to patients, and what they review."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .base import Content, ContentQuerySet


class ReviewerProfileQuerySet(ContentQuerySet):
    def languages_of(self, user):
        """The languages this user may sign off: their profile's, else the source
        language only."""
        profile = self.filter(user=user).only("languages").first()
        if profile is None:
            return [settings.LANGUAGE_CODE]
        return profile.languages

    def specialties_of(self, user):
        """The specialties this user reviews (their queue shows those pages first)."""
        profile = self.filter(user=user).only("specialties").first()
        return profile.specialties if profile else []

    def byline_of(self, user, language=None):
        """The reviewer's name as patients may read it in `language`: the approved
        translation of their profile in it, else their approved profile's byline."""
        profile = self.published().filter(user=user).first()
        if profile is None:
            return user.get_full_name() or user.get_username()
        return profile.shown_in(language or profile.public_language).content["byline"]

    def as_read_in(self, language):
        """The published profiles (sources), each as patients read it in `language`."""
        profiles = [
            profile.shown_in(language)
            for profile in self.published_in(settings.LANGUAGE_CODE)
        ]
        return sorted(profiles, key=lambda profile: profile.content["name"].casefold())


def default_reviewer_languages():
    return [settings.LANGUAGE_CODE]


class ReviewerProfile(Content):
    """How a medical reviewer is named on public pages, and what they review.

    What patients read about a reviewer (name, credentials, conflicts of interest)
    is reviewed content like any other: a change reaches the policy page and the
    bylines only once a second person signs it off.
    """

    cache_kind = "pages"  # the policy page lists reviewers
    preview_kind = "reviewer"
    preview_template = "treatments/includes/reviewer_content.html"
    template_name = "treatments/reviewer_preview.html"
    checks_reading_level = False  # names and credentials, not prose
    diff_labels = {
        "name": "Name",
        "credentials": "Credentials",
        "job_title": "Title",
        "conflict_of_interest": "Conflicts of interest",
    }
    published_order = ("name",)  # the snapshot's name for display_name

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewer_profile",
        help_text="The reviewer's account. Empty on a translation: it belongs to the "
        "profile it translates.",
    )
    display_name = models.CharField(max_length=120, help_text="As shown to patients.")
    credentials = models.CharField(
        max_length=60, help_text="For example “MD” or “MD, PhD”."
    )
    title = models.CharField(
        max_length=160, blank=True, help_text="For example “Medical oncologist”."
    )
    specialties = models.JSONField(
        default=list,
        blank=True,
        help_text="Specialties this reviewer covers; pages needing them come first in the queue.",
    )
    conflict_of_interest = models.TextField(
        blank=True, help_text="Shown on the medical and editorial policy page."
    )
    languages = models.JSONField(
        default=default_reviewer_languages,
        blank=True,
        help_text='Language codes this reviewer reads, e.g. ["en", "es"]: only '
        "they may sign off pages in those languages.",
    )

    objects = ReviewerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]

    def __str__(self):
        return self.byline

    def get_absolute_url(self):
        return reverse("treatments:policy")

    @property
    def byline(self):
        return ", ".join(
            part for part in (self.display_name, self.credentials, self.title) if part
        )

    def shown_in(self, language):
        """This published profile as patients read it in `language`: its approved
        translation there, else itself."""
        translation = self.translation_in(language)
        if translation is not None and translation.live_revision_id is not None:
            return translation.published_content()
        return self.published_content()

    def clean(self):
        super().clean()
        if self.translation_of_id is None and self.user_id is None:
            raise ValidationError({"user": "Choose the reviewer's account."})
        if self.translation_of_id is not None and self.user_id is not None:
            raise ValidationError(
                {
                    "user": "Leave this empty on a translation: the account belongs to "
                    "the profile it translates."
                }
            )

    def restore_fields(self, snapshot):
        super().restore_fields(snapshot)
        self.display_name = snapshot["name"]
        self.credentials = snapshot["credentials"]
        self.title = snapshot["job_title"]
        self.conflict_of_interest = snapshot["conflict_of_interest"]

    def snapshot(self):
        # The specialties only order the review queue: patients never see them.
        return {
            "name": self.display_name,
            "credentials": self.credentials,
            "job_title": self.title,
            "byline": self.byline,
            "conflict_of_interest": self.conflict_of_interest,
        }

"""Appointment requests: a patient asks to be called back. Personal data, kept briefly."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Requester(models.TextChoices):
    PATIENT = "patient", "I am the patient"
    FAMILY = "family", "Family member or caregiver"
    CLINICIAN = "clinician", "Referring clinician"


class BestTime(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning (8 a.m. to noon)"
    AFTERNOON = "afternoon", "Afternoon (noon to 5 p.m.)"
    EVENING = "evening", "Early evening (5 to 7 p.m.)"


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CLOSED = "closed", "Closed"


ANONYMISED = "(removed)"


class AppointmentRequestQuerySet(models.QuerySet):
    def waiting_first(self):
        """New requests first, oldest first within each status."""
        order = models.Case(
            models.When(status=Status.NEW, then=0),
            models.When(status=Status.CONTACTED, then=1),
            default=2,
        )
        return self.order_by(order, "created_at")

    def closed_before(self, moment):
        return self.filter(status=Status.CLOSED, closed_at__lt=moment)

    def open_and_identifiable_before(self, moment):
        return self.exclude(status=Status.CLOSED).filter(
            created_at__lt=moment, anonymised_at__isnull=True
        )


class AppointmentRequest(models.Model):
    name = models.CharField(max_length=100)
    phone = models.CharField(
        max_length=20, help_text="Stored as digits with country code."
    )
    email = models.EmailField(blank=True)
    best_time = models.CharField(
        max_length=20, choices=BestTime.choices, default=BestTime.ANY
    )
    requester = models.CharField(
        "who is asking", max_length=20, choices=Requester.choices
    )
    treatment = models.CharField(
        "treatment page they came from",
        max_length=80,
        blank=True,
        help_text="The slug of the treatment page, if any.",
    )
    message = models.TextField(blank=True, max_length=500)
    consent = models.BooleanField("agreed to be contacted")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    coordinator_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    # One per form shown: a refresh or double submit finds the request already made.
    submission_token = models.CharField(max_length=64, unique=True)

    objects = AppointmentRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        # Deliberately no personal details: this string appears in admin logs.
        return f"Request #{self.pk} ({self.get_status_display()})"

    def get_admin_url(self):
        return reverse("admin:appointments_appointmentrequest_change", args=[self.pk])

    @property
    def phone_display(self):
        digits = self.phone[-10:]
        if len(digits) != 10 or not digits.isdigit():
            return self.phone
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"

    @property
    def waiting_for(self):
        return timezone.now() - self.created_at

    def mark(self, status, note=""):
        now = timezone.now()
        self.status = status
        if status == Status.CONTACTED and not self.contacted_at:
            self.contacted_at = now
        if status == Status.CLOSED and not self.closed_at:
            self.closed_at = now
        if note:
            self.coordinator_note = (self.coordinator_note + "\n" + note).strip()
        self.save()

    def anonymise(self):
        self.name = ANONYMISED
        self.phone = ANONYMISED
        self.email = ""
        self.message = ""
        self.coordinator_note = ""
        self.anonymised_at = timezone.now()
        self.save()


def retention_cutoffs(now=None):
    now = now or timezone.now()
    return (
        now - timedelta(days=settings.APPOINTMENT_CLOSED_RETENTION_DAYS),
        now - timedelta(days=settings.APPOINTMENT_OPEN_RETENTION_DAYS),
    )

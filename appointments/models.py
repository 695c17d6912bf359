"""Appointment requests: a patient asks to be called back. Personal data, kept briefly."""

import logging
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger("netguide.appointments")


class Requester(models.TextChoices):
    PATIENT = "patient", _("I am the patient")
    FAMILY = "family", _("Family member or caregiver")
    CLINICIAN = "clinician", _("Referring clinician")


class BestTime(models.TextChoices):
    ANY = "any", _("Any time")
    MORNING = "morning", _("Morning (8 a.m. to noon)")
    AFTERNOON = "afternoon", _("Afternoon (noon to 5 p.m.)")
    EVENING = "evening", _("Early evening (5 to 7 p.m.)")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Español (Spanish)")
    OTHER = "other", _("Another language")


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CLOSED = "closed", "Closed"
    EXPIRED = "expired", "Expired (details removed)"


OPEN = (Status.NEW, Status.CONTACTED)
FINISHED = (Status.CLOSED, Status.EXPIRED)
ANONYMISED = "(removed)"
REDACTED = "(Removed by the appointment team.)"


def team_zone():
    return ZoneInfo(settings.APPOINTMENT_TEAM_TIME_ZONE)


# What patients call the zones of the US and Canada; any other zone shows its key.
ZONE_NAMES = {
    "America/New_York": _("Eastern Time"),
    "America/Toronto": _("Eastern Time"),
    "America/Detroit": _("Eastern Time"),
    "America/Chicago": _("Central Time"),
    "America/Winnipeg": _("Central Time"),
    "America/Denver": _("Mountain Time"),
    "America/Edmonton": _("Mountain Time"),
    "America/Phoenix": _("Arizona Time"),
    "America/Los_Angeles": _("Pacific Time"),
    "America/Vancouver": _("Pacific Time"),
    "America/Anchorage": _("Alaska Time"),
    "Pacific/Honolulu": _("Hawaii Time"),
}


def team_zone_name():
    zone = settings.APPOINTMENT_TEAM_TIME_ZONE
    return ZONE_NAMES.get(zone, zone.replace("_", " "))


def due_after(moment, business_days=None):
    """`moment` plus N business days (Monday to Friday) in the team's time zone.

    A request sent at the weekend counts from the start of Monday's working day.
    Public holidays are not known here.
    """
    days = (
        settings.APPOINTMENT_RESPONSE_BUSINESS_DAYS
        if business_days is None
        else business_days
    )
    local = timezone.localtime(moment, team_zone())
    if local.weekday() >= 5:
        while local.weekday() >= 5:
            local += timedelta(days=1)
        local = datetime.combine(local.date(), time(9), tzinfo=local.tzinfo)
    while days > 0:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    # Arithmetic on the wall clock, then back to an aware time: DST moves nothing.
    return datetime.combine(local.date(), local.time(), tzinfo=team_zone())


def phone_digits(text):
    """The 10 digits of a US number typed in any format, or "" when it is not one."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else ""


QUEUE_ORDER = (
    models.Case(
        models.When(status=Status.NEW, then=0),
        models.When(status=Status.CONTACTED, then=1),
        default=2,
    ),
    models.Case(models.When(status__in=OPEN, then="due_at"), default=None).asc(
        nulls_last=True
    ),
    models.F("closed_at").desc(nulls_last=True),
    "pk",
)


class AppointmentRequestQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN)

    def finished(self):
        return self.filter(status__in=FINISHED)

    def overdue(self, now=None):
        """Nobody has reached the patient yet and the promised time has passed."""
        return self.filter(status=Status.NEW, due_at__lt=now or timezone.now())

    def due_within(self, hours, now=None):
        now = now or timezone.now()
        return self.filter(
            status=Status.NEW, due_at__gte=now, due_at__lt=now + timedelta(hours=hours)
        )

    def unassigned(self):
        return self.open().filter(assigned_to__isnull=True)

    def assigned_to_user(self, user):
        return self.open().filter(assigned_to=user)

    def queue(self):
        """New requests by the time they are due (overdue first), then contacted ones,
        then closed and expired ones, the most recently closed first."""
        return self.order_by(*QUEUE_ORDER)

    def with_possible_duplicates(self):
        """Flags requests from a phone number that asked again within a week."""
        window = timedelta(days=settings.APPOINTMENT_DUPLICATE_WINDOW_DAYS)
        others = (
            AppointmentRequest.objects.filter(
                phone=models.OuterRef("phone"),
                created_at__gt=models.OuterRef("created_at") - window,
                created_at__lt=models.OuterRef("created_at") + window,
            )
            .exclude(pk=models.OuterRef("pk"))
            .exclude(phone=ANONYMISED)
        )
        return self.annotate(possible_duplicate=models.Exists(others))

    def matching_phone(self, text):
        digits = phone_digits(text)
        return self.filter(phone="+1" + digits) if digits else self.none()

    def copies_of(self, candidate, since):
        """Requests since `since` with the same name, number and answers as `candidate`
        (an unsaved request): the same person sending the same request again."""
        return self.filter(
            created_at__gte=since,
            name__iexact=candidate.name,
            phone=candidate.phone,
            email__iexact=candidate.email,
            requester=candidate.requester,
            best_time=candidate.best_time,
            language=candidate.language,
            interpreter=candidate.interpreter,
            treatment=candidate.treatment,
            message=candidate.message,
        )

    def closed_before(self, moment):
        return self.filter(status__in=FINISHED, closed_at__lt=moment)

    def open_and_identifiable_before(self, moment):
        return self.open().filter(created_at__lt=moment, anonymised_at__isnull=True)

    def open_and_anonymised(self):
        """Open requests whose details are gone: nobody can call them back."""
        return self.open().filter(anonymised_at__isnull=False)


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
    site_language = models.CharField(
        "language of the site",
        max_length=8,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        editable=False,
        help_text="The language of the pages the patient sent the form from.",
    )
    language = models.CharField(
        "language for the call",
        max_length=10,
        choices=Language.choices,
        default=Language.ENGLISH,
    )
    interpreter = models.BooleanField(
        "wants an interpreter",
        default=False,
        help_text="The patient asked for a medical interpreter on the call.",
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
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="assigned to",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_appointment_requests",
        limit_choices_to={"groups__name": "Appointment coordinators"},
        help_text="The coordinator who calls this patient back.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    due_at = models.DateTimeField(
        "call back by",
        db_index=True,
        editable=False,
        help_text="Set when the request arrives, from the service-level target.",
    )
    contacted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="The last time it was closed."
    )
    anonymised_at = models.DateTimeField(null=True, blank=True)
    redacted_at = models.DateTimeField("message redacted at", null=True, blank=True)
    # One per form shown: a refresh or double submit finds the request already made.
    submission_token = models.CharField(max_length=64, unique=True)

    objects = AppointmentRequestQuerySet.as_manager()

    # The same request sent again within this time (Back, then Send) is not a new one.
    SAME_REQUEST_WINDOW = timedelta(minutes=30)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        # Deliberately no personal details: this string appears in admin logs.
        return f"Request #{self.pk} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.due_at is None:
            self.due_at = due_after(self.created_at)
        super().save(*args, **kwargs)

    def get_admin_url(self):
        return reverse("admin:appointments_appointmentrequest_change", args=[self.pk])

    def earlier_copy(self, now=None):
        """The same request from the same person, sent a few minutes ago, if any."""
        since = (now or timezone.now()) - self.SAME_REQUEST_WINDOW
        return (
            AppointmentRequest.objects.copies_of(self, since)
            .order_by("created_at")
            .first()
        )

    @property
    def phone_display(self):
        digits = self.phone[-10:]
        if len(digits) != 10 or not digits.isdigit():
            return self.phone
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"

    @property
    def phone_href(self):
        return f"tel:{self.phone}" if self.phone.startswith("+") else ""

    @property
    def is_open(self):
        return self.status in OPEN

    def time_left(self, now=None):
        """Until the promised call back; negative when overdue."""
        return self.due_at - (now or timezone.now())

    def is_overdue(self, now=None):
        return self.status == Status.NEW and self.time_left(now) < timedelta(0)

    def mark(self, status, now=None):
        """Move to `status`; returns (old, new) for the history. Every close is dated."""
        now = now or timezone.now()
        old = self.status
        self.status = status
        if status == Status.CONTACTED and not self.contacted_at:
            self.contacted_at = now
        if status in FINISHED and (old not in FINISHED or not self.closed_at):
            self.closed_at = now
        if status in OPEN:
            self.closed_at = None
        self.save()
        return old, status

    def redact_message(self, user, now=None):
        """The message goes for good; the access log says who removed it and when."""
        with transaction.atomic():
            self.message = REDACTED
            self.redacted_at = now or timezone.now()
            self.save(update_fields=["message", "redacted_at"])
            AccessLogEntry.record(user, self, AccessLogEntry.Action.REDACTED)

    def anonymise(self, now=None):
        now = now or timezone.now()
        self.name = ANONYMISED
        self.phone = ANONYMISED
        self.email = ""
        self.message = ""
        self.anonymised_at = now
        if self.is_open:
            self.status = Status.EXPIRED
            self.closed_at = now
        self.save()
        self.attempts.update(note="")

    def expire(self, now=None):
        self.status = Status.EXPIRED
        self.closed_at = now or timezone.now()
        self.save(update_fields=["status", "closed_at"])

    def log_attempt(self, user, outcome, note="", now=None):
        attempt = CallAttempt(
            request=self, by=user, outcome=outcome, note=note, at=now or timezone.now()
        )
        attempt.save()
        self.attempt_logged(attempt)
        return attempt

    def attempt_logged(self, attempt):
        """Reaching the patient keeps the promise: the request becomes contacted."""
        AccessLogEntry.record(
            attempt.by,
            self,
            AccessLogEntry.Action.ATTEMPT,
            f"Call attempt: {attempt.get_outcome_display()}",
        )
        if attempt.outcome == Outcome.REACHED and self.status == Status.NEW:
            self.mark(Status.CONTACTED, now=attempt.at)


class Outcome(models.TextChoices):
    REACHED = "reached", "Reached the patient"
    VOICEMAIL = "voicemail", "Left a voicemail"
    NO_ANSWER = "no-answer", "No answer"
    WRONG_NUMBER = "wrong-number", "Wrong number"
    BOOKED = "booked", "Booked an appointment"
    OTHER = "other", "Other"


class CallAttempt(models.Model):
    """One try at calling the patient back; attempts are added, never overwritten."""

    request = models.ForeignKey(
        AppointmentRequest, on_delete=models.CASCADE, related_name="attempts"
    )
    at = models.DateTimeField("when", default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.CharField(
        max_length=300,
        blank=True,
        help_text="What happened, for the next caller. No medical details.",
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "call attempt"

    def __str__(self):
        return f"{self.get_outcome_display()} at {timezone.localtime(self.at):%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("Call attempts are not changed; add a new one.")
        super().save(*args, **kwargs)


class NotificationQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status=Notification.State.FAILED)

    def due_for_retry(self, now=None):
        """Failed ones, and pending ones whose sender never finished (a crash, a deploy)."""
        now = now or timezone.now()
        stale = now - timedelta(minutes=2)
        return self.filter(
            models.Q(status=Notification.State.FAILED)
            | models.Q(status=Notification.State.PENDING, created_at__lt=stale)
        )


class Notification(models.Model):
    """The email telling the team a request arrived; kept so a failure is seen and retried."""

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    request = models.OneToOneField(
        AppointmentRequest, on_delete=models.CASCADE, related_name="notification"
    )
    status = models.CharField(
        max_length=10, choices=State.choices, default=State.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(
        max_length=200, blank=True, help_text="The kind of error only, no details."
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    def __str__(self):
        return f"Team email for request #{self.request_id}: {self.get_status_display()}"

    def subject(self):
        return f"NET Guide: appointment request #{self.request_id}"

    def body(self):
        link = settings.SITE_URL.rstrip("/") + self.request.get_admin_url()
        # The team reads English: the language's English name ("Spanish").
        site_language = get_language_info(self.request.site_language)["name"]
        return (
            f"Appointment request #{self.request_id} is waiting for a call back.\n"
            f"The patient used the site in {site_language}.\n\n"
            f"Open it in the admin: {link}\n"
        )

    def send(self, now=None):
        """One try. Never raises: a failure is stored for the admin and the retry command."""
        recipient = settings.APPOINTMENTS_NOTIFY_EMAIL
        self.attempts += 1
        try:
            send_mail(self.subject(), self.body(), None, [recipient])
        except Exception as error:
            self.status = self.State.FAILED
            # The class name only: SMTP replies may echo addresses back.
            self.last_error = type(error).__name__
            logger.warning(
                "Team email for appointment request #%s failed: %s",
                self.request_id,
                self.last_error,
            )
        else:
            self.status = self.State.SENT
            self.sent_at = now or timezone.now()
            self.last_error = ""
        try:
            self.save(update_fields=["status", "attempts", "last_error", "sent_at"])
        except Exception:
            logger.warning(
                "Could not record the team email for request #%s", self.request_id
            )
        return self.status == self.State.SENT


class AccessLogQuerySet(models.QuerySet):
    def older_than(self, moment):
        return self.filter(at__lt=moment)

    def for_request(self, request_id):
        return self.filter(request_id=request_id)


class AccessLogEntry(models.Model):
    """Who looked at or changed which request, and when. Append-only; no personal values."""

    class Action(models.TextChoices):
        VIEWED = "viewed", "Viewed the details"
        SEARCHED = "searched", "Shown in search results"
        CHANGED = "changed", "Changed"
        BULK = "bulk", "Changed by a bulk action"
        ATTEMPT = "attempt", "Logged a call attempt"
        REDACTED = "redacted", "Redacted the message"
        DELETED = "deleted", "Deleted"
        ANONYMISED = "anonymised", "Anonymised by the retention rule"
        EXPIRED = "expired", "Expired by the retention rule"
        PURGED = "purged", "Deleted by the retention rule"

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Kept as text too: the entry outlives the account.
    username = models.CharField(max_length=150, editable=False)
    # A number, not a foreign key: the entry outlives the request.
    request_id = models.PositiveBigIntegerField("request number", db_index=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    detail = models.CharField(
        max_length=300, blank=True, help_text="Field names and states, never values."
    )

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self):
        return f"{self.username or 'system'} {self.get_action_display().lower()} #{self.request_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("The access log is append-only.")

    @classmethod
    def record(cls, user, appointment_request, action, detail=""):
        request_id = getattr(appointment_request, "pk", appointment_request)
        return cls.objects.create(
            user=user if user and user.pk else None,
            username=user.get_username() if user and user.pk else "",
            request_id=request_id,
            action=action,
            detail=detail[:300],
        )

    @classmethod
    def record_many(cls, user, request_ids, action, detail=""):
        cls.objects.bulk_create(
            cls(
                user=user if user and user.pk else None,
                username=user.get_username() if user and user.pk else "",
                request_id=request_id,
                action=action,
                detail=detail[:300],
            )
            for request_id in request_ids
        )


def retention_cutoffs(now=None):
    now = now or timezone.now()
    return (
        now - timedelta(days=settings.APPOINTMENT_CLOSED_RETENTION_DAYS),
        now - timedelta(days=settings.APPOINTMENT_OPEN_RETENTION_DAYS),
    )


def access_log_cutoff(now=None):
    return (now or timezone.now()) - timedelta(
        days=settings.APPOINTMENT_ACCESS_LOG_RETENTION_DAYS
    )

"""Appointment requests: a patient asks to be called back. Personal data, kept briefly."""

import logging
import re
from dataclasses import dataclass
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

from treatments.validators import PlainTextMixin

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


# The hours each best time to call stands for, on the team's clock (as the form says).
BEST_TIME_HOURS = {
    BestTime.MORNING: (time(8), time(12)),
    BestTime.AFTERNOON: (time(12), time(17)),
    BestTime.EVENING: (time(17), time(19)),
}


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Español (Spanish)")
    OTHER = "other", _("Another language")


class Status(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    CLOSED = "closed", "Closed"
    EXPIRED = "expired", "Expired (details removed)"


class CloseReason(models.TextChoices):
    REACHED = "reached", "Reached: nothing more to do"
    ASKED_TO_STOP = "asked-to-stop", "Asked us to stop"
    UNREACHABLE = "unreachable", "Unreachable after several tries"


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


def business_hours():
    """(opening, closing) of the team's day, from APPOINTMENT_BUSINESS_HOURS."""
    opening, closing = (
        time.fromisoformat(part.strip())
        for part in settings.APPOINTMENT_BUSINESS_HOURS.split("-")
    )
    return opening, closing


def call_window(best_time):
    """The hours the team may call someone who chose `best_time`: business hours,
    narrowed to the patient's choice when the two overlap (a choice outside them
    leaves business hours)."""
    opening, closing = business_hours()
    if best_time in BEST_TIME_HOURS:
        start, end = BEST_TIME_HOURS[best_time]
        start, end = max(start, opening), min(end, closing)
        if start < end:
            return start, end
    return opening, closing


def call_back_time(deadline, best_time, after):
    """The latest moment, no later than `deadline` and later than `after`, that falls
    in a call window on a weekday: the promise is kept and the call comes when the
    patient asked. With no such moment, the end of the next window after
    `deadline`. On the team's clock."""
    start, end = call_window(best_time)
    zone = team_zone()
    latest = timezone.localtime(deadline, zone)
    day = latest.date()
    while day >= timezone.localtime(after, zone).date():
        if day.weekday() < 5:
            opens = datetime.combine(day, start, tzinfo=zone)
            candidate = min(latest, datetime.combine(day, end, tzinfo=zone))
            if candidate >= opens and candidate > after:
                return candidate
        day -= timedelta(days=1)
    day = latest.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone)


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
            summary_list=candidate.summary_list,
            summary_told=candidate.summary_told,
        )

    def closed_before(self, moment):
        return self.filter(status__in=FINISHED, closed_at__lt=moment)

    def open_and_identifiable_before(self, moment):
        return self.open().filter(created_at__lt=moment, anonymised_at__isnull=True)

    def open_and_anonymised(self):
        """Open requests whose details are gone: nobody can call them back."""
        return self.open().filter(anonymised_at__isnull=False)


class AppointmentRequest(PlainTextMixin, models.Model):
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
    # Only what the patient ticked on the form, from their summary for the appointment.
    summary_list = models.TextField(
        "options and questions from their summary",
        blank=True,
        help_text="Added by the patient from their summary page: option names and questions.",
    )
    summary_told = models.TextField(
        "what they told the guide about their tumor",
        blank=True,
        help_text="Added by the patient from their summary page: their explorer answers.",
    )
    consent = models.BooleanField("agreed to be contacted")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    close_reason = models.CharField(
        "why it was closed",
        max_length=20,
        choices=CloseReason.choices,
        blank=True,
        help_text="Asked for when a request is closed; kept with it.",
    )
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
            self.due_at = self.promised_call_back()
        super().save(*args, **kwargs)

    def promised_call_back(self):
        """When the team promises to call back by: within N business days of the
        request, in business hours and in the patient's best time to call."""
        return call_back_time(
            due_after(self.created_at), self.best_time, after=self.created_at
        )

    UNANSWERED = ("no-answer", "voicemail")

    def unanswered_tries(self):
        return self.attempts.filter(outcome__in=self.UNANSWERED).count()

    def close_refusal(self, reason, more_unanswered=0):
        """Why this request may not be closed for `reason` now ("" when it may).
        `more_unanswered`: unanswered calls being logged with the close."""
        if not reason:
            return "Say why it is closed: reached, asked to stop, or unreachable."
        needed = settings.APPOINTMENT_UNREACHABLE_AFTER_TRIES
        tries = (
            self.unanswered_tries() + more_unanswered if self.pk else more_unanswered
        )
        if reason == CloseReason.UNREACHABLE and tries < needed:
            return (
                f"Not closed: {tries} unanswered call{'s' if tries != 1 else ''} so "
                f"far. Try at least {needed} times (at different times of day) "
                "before closing it as unreachable."
            )
        return ""

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
            self.close_reason = ""
        self.save()
        return old, status

    def close(self, reason, now=None):
        """Closed, for a reason close_refusal allows; (old, new) for the history."""
        if refusal := self.close_refusal(reason):
            raise ValueError(refusal)
        self.close_reason = reason
        return self.mark(Status.CLOSED, now)

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
        self.summary_list = ""
        self.summary_told = ""
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


class AppendOnly(models.Model):
    """A record written once and never changed (retention may delete it). A
    subclass says why in `when_changed`, the refusal's message."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionDenied(self.when_changed)
        super().save(*args, **kwargs)


class CallAttempt(PlainTextMixin, AppendOnly):
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

    when_changed = "Call attempts are not changed; add a new one."

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "call attempt"

    def __str__(self):
        return f"{self.get_outcome_display()} at {timezone.localtime(self.at):%Y-%m-%d %H:%M}"


class NotificationQuerySet(models.QuerySet):
    def failed(self):
        return self.filter(status=Notification.State.FAILED)

    def claim(self, pk, attempt):
        """The notification for its `attempt`-th try, if that try is not made yet
        and it is not sent (one conditional update: a repeated run gets None)."""
        claimed = (
            self.filter(pk=pk, attempts=attempt - 1)
            .exclude(status=Notification.State.SENT)
            .update(attempts=attempt)
        )
        return self.select_related("request").get(pk=pk) if claimed else None

    def stranded(self, now=None):
        """Unsent, and the next try is long past: its task was lost (a worker killed
        while sending, say)."""
        now = now or timezone.now()
        return self.exclude(status=Notification.State.SENT).filter(
            next_try_at__lt=now - Notification.STRANDED_AFTER
        )

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
    next_try_at = models.DateTimeField(
        "next try",
        null=True,
        blank=True,
        help_text="When the worker tries again; empty once sent or given up.",
    )

    objects = NotificationQuerySet.as_manager()

    STRANDED_AFTER = timedelta(minutes=5)

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
        """One more try, now (the admin's button, the retry command)."""
        self.attempts += 1
        self.next_try_at = None
        return self.deliver(now)

    def deliver(self, now=None):
        """Send it, for the try already counted. Never raises: the outcome is stored
        for the admin (the worker's task decides whether to try again)."""
        recipient = settings.APPOINTMENTS_NOTIFY_EMAIL
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
            self.next_try_at = None
        try:
            self.save(
                update_fields=[
                    "status",
                    "attempts",
                    "last_error",
                    "sent_at",
                    "next_try_at",
                ]
            )
        except Exception:
            logger.warning(
                "Could not record the team email for request #%s", self.request_id
            )
        return self.status == self.State.SENT

    def try_again_at(self, moment):
        self.next_try_at = moment
        self.save(update_fields=["next_try_at"])


class AccessLogQuerySet(models.QuerySet):
    def older_than(self, moment):
        return self.filter(at__lt=moment)


class AccessLogEntry(AppendOnly):
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
    when_changed = "The access log is append-only."

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self):
        return f"{self.username or 'system'} {self.get_action_display().lower()} #{self.request_id}"

    def delete(self, *args, **kwargs):
        raise PermissionDenied(self.when_changed)

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


class RequestCountQuerySet(models.QuerySet):
    @transaction.atomic
    def take(self, key, seconds, now=None):
        """Count one request under `key`; returns the row, this request counted.

        One increment under a row lock, judged by its result: of any number of
        requests at once each gets its own count. A count older than `seconds`
        starts again, and every such count is deleted on the way.
        """
        now = now or timezone.now()
        self.filter(first_at__lte=now - timedelta(seconds=seconds)).delete()
        self.bulk_create([RequestCount(key=key, first_at=now)], ignore_conflicts=True)
        row = self.select_for_update().get(key=key)
        row.count += 1
        row.save(update_fields=["count"])
        return row

    def give_back(self, key):
        self.filter(key=key, count__gt=0).update(count=models.F("count") - 1)

    def older_than(self, moment):
        return self.filter(first_at__lt=moment)


class RequestCount(models.Model):
    """Appointment requests sent from one address (a keyed hash of it) this hour.

    In the database, as the admin login counts are: nothing the page cache does
    (evicting under memory pressure, Redis away) can lose a count and let a flood
    through.
    """

    key = models.CharField(max_length=100, unique=True)
    count = models.PositiveIntegerField(default=0)
    first_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = RequestCountQuerySet.as_manager()

    class Meta:
        verbose_name = "request count"

    def __str__(self):
        return f"{self.count} since {self.first_at:%Y-%m-%d %H:%M:%S}"


@dataclass
class RetentionOutcome:
    closed_deleted: int
    anonymised: int
    expired: int
    log_entries_deleted: int
    rate_limit_codes_deleted: int


def apply_retention(rate_limit_seconds, now=None, dry_run=False):
    """The retention rules, in one transaction: closed and expired requests closed
    before the closed cutoff are deleted; open ones older than the open cutoff lose
    their personal details and close as expired; open ones whose details are gone
    are expired; access log entries past theirs are deleted, and so are the form's
    rate-limit codes older than `rate_limit_seconds`. What it did (or would)."""
    now = now or timezone.now()
    closed_cutoff, open_cutoff = retention_cutoffs(now)
    requests = AppointmentRequest.objects
    with transaction.atomic():
        closed = requests.closed_before(closed_cutoff)
        stale = requests.open_and_identifiable_before(open_cutoff)
        nameless = requests.open_and_anonymised()
        old_log = AccessLogEntry.objects.older_than(access_log_cutoff(now))
        closed_ids = list(closed.values_list("pk", flat=True))
        stale_items, nameless_items = list(stale), list(nameless)
        log_count = old_log.count()
        old_counts = RequestCount.objects.older_than(
            now - timedelta(seconds=rate_limit_seconds)
        )
        count_count = old_counts.count()
        if not dry_run:
            # The log is trimmed first, so today's entries about this run stay.
            old_log.delete()
            old_counts.delete()
            requests.filter(pk__in=closed_ids).delete()
            AccessLogEntry.record_many(None, closed_ids, AccessLogEntry.Action.PURGED)
            for item in stale_items:
                item.anonymise()
                AccessLogEntry.record(None, item, AccessLogEntry.Action.ANONYMISED)
            for item in nameless_items:
                item.expire()
                AccessLogEntry.record(None, item, AccessLogEntry.Action.EXPIRED)
    return RetentionOutcome(
        len(closed_ids), len(stale_items), len(nameless_items), log_count, count_count
    )

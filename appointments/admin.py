import re
import secrets
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.exceptions import DisallowedModelAdminLookup
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from editorial.admin import ReadOnlyAdmin
from treatments.models import Treatment
from treatments.validators import without_hidden_characters

from .models import (
    FINISHED,
    QUEUE_ORDER,
    AccessLogEntry,
    AppointmentRequest,
    CallAttempt,
    CloseReason,
    Notification,
    Status,
    phone_digits,
)

PHONE_CHARACTERS = set("0123456789 ().+-")


def duration(delta):
    """A short, readable length of time: "2 days 3 h", "3 h 20 min", "12 min"."""
    minutes = int(abs(delta).total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


class QueueFilter(admin.SimpleListFilter):
    title = "call back"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return (("overdue", "Overdue"), ("soon", "Due within 4 hours"))

    def queryset(self, request, queryset):
        if self.value() == "overdue":
            return queryset.overdue()
        if self.value() == "soon":
            return queryset.due_within(4)
        return queryset


class OpenFilter(admin.SimpleListFilter):
    """What still needs a call (new and contacted), or what is done."""

    title = "open or done"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return (("open", "Open (new and contacted)"), ("done", "Closed or expired"))

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.open()
        if self.value() == "done":
            return queryset.finished()
        return queryset


class AssignmentFilter(admin.SimpleListFilter):
    title = "assigned"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return (("me", "Assigned to me"), ("nobody", "Unassigned"))

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.assigned_to_user(request.user)
        if self.value() == "nobody":
            return queryset.unassigned()
        return queryset


class DuplicateFilter(admin.SimpleListFilter):
    title = "possible duplicate"
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return (("yes", "Same phone within a week"),)

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(possible_duplicate=True)
        return queryset


class TeamEmailFilter(admin.SimpleListFilter):
    title = "team email"
    parameter_name = "email"

    def lookups(self, request, model_admin):
        return Notification.State.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(notification__status=self.value())
        return queryset


# The list's address holds a token for the term searched (the form posts it); the
# session keeps the last few terms.
SEARCH_TOKEN = re.compile(r"search:[0-9a-f]{32}")
SEARCHES = "appointment-searches"
SEARCHES_KEPT = 20


class QueueChangeList(ChangeList):
    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        # What the search box shows: the term, not the token standing for it.
        self.search_term = self.model_admin.searched_term(request, self.query) or ""

    def get_filters(self, request):
        filters = super().get_filters(request)
        # What the declared filters did not take is a field lookup from the address
        # (?name__icontains=…): a search of patients' details the log would not see.
        if filters[2]:
            raise DisallowedModelAdminLookup(
                "The queue is filtered with its own filters only."
            )
        return filters


class AppointmentRequestForm(forms.ModelForm):
    redact_message = forms.BooleanField(
        required=False,
        label="Remove the message",
        help_text="For medical details the patient wrote despite the warning. "
        "The text is gone for good; the access log records who removed it.",
    )

    class Meta:
        model = AppointmentRequest
        fields = ("status", "close_reason", "assigned_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.status != Status.EXPIRED:
            # Only the retention rule expires a request: it removes the details too.
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != Status.EXPIRED
            ]
        tries = settings.APPOINTMENT_UNREACHABLE_AFTER_TRIES
        self.fields["close_reason"].help_text = (
            "Asked for when you close it. Unreachable only after "
            f"{tries} unanswered calls."
        )

    def unanswered_being_logged(self):
        """Unanswered calls in the new call attempt rows posted with this save (the
        rows of attempts already logged are shown, not posted again)."""
        try:
            logged = int(self.data.get("attempts-INITIAL_FORMS", 0))
        except ValueError:
            logged = 0
        return sum(
            1
            for name, value in self.data.items()
            if (match := re.fullmatch(r"attempts-(\d+)-outcome", name))
            and int(match[1]) >= logged
            and value in AppointmentRequest.UNANSWERED
        )

    def clean(self):
        cleaned = super().clean()
        closing = cleaned.get("status") == Status.CLOSED and (
            "status" in self.changed_data or "close_reason" in self.changed_data
        )
        if closing:
            refusal = self.instance.close_refusal(
                cleaned.get("close_reason"), self.unanswered_being_logged()
            )
            if refusal:
                self.add_error("close_reason", refusal)
        elif cleaned.get("status") in Status.values and cleaned.get("status") != (
            Status.CLOSED
        ):
            cleaned["close_reason"] = ""  # open again: the old reason no longer holds
        return cleaned


class CallAttemptInline(admin.TabularInline):
    model = CallAttempt
    fields = ("at", "outcome", "note", "caller")
    readonly_fields = ("caller",)
    extra = 1
    verbose_name_plural = "call attempts (each one is kept)"

    @admin.display(description="by")
    def caller(self, obj):
        return obj.by.get_username() if obj.by_id else "-"

    def has_change_permission(self, request, obj=None):
        return False  # an attempt is added, never rewritten

    def has_delete_permission(self, request, obj=None):
        return False


PATIENT_SENT = (
    "name",
    "phone_link",
    "email",
    "best_time",
    "requester",
    "language",
    "site_language",
    "interpreter",
    "treatment",
    "message",
    "redacted_at",
    "summary_list",
    "summary_told",
    "consent",
    "other_requests",
)
DATES = (
    "created_at",
    "due_at",
    "call_back",
    "contacted_at",
    "closed_at",
    "anonymised_at",
    "team_email",
)


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(admin.ModelAdmin):
    form = AppointmentRequestForm
    ordering = QUEUE_ORDER
    inlines = (CallAttemptInline,)
    # Who to call, when, in what language and about what; the number one tap away.
    list_display = (
        "request_column",
        "name",
        "call_back",
        "due_column",
        "best_time_column",
        "language_column",
        "phone_column",
        "treatment_column",
        "assigned_to",
        "flags",
    )
    list_filter = (
        OpenFilter,
        QueueFilter,
        AssignmentFilter,
        "status",
        "treatment",
        "language",
        "site_language",
        "interpreter",
        DuplicateFilter,
        TeamEmailFilter,
        "requester",
    )
    list_select_related = ("assigned_to", "notification")
    search_fields = ("name", "email")
    search_help_text = "A name, an email, or a phone number in any format."
    # What the patient sent and the dates are shown, never edited here.
    readonly_fields = (*PATIENT_SENT, *DATES)
    fieldsets = (
        ("What the patient sent", {"fields": PATIENT_SENT}),
        (
            "Handling",
            {"fields": ("status", "close_reason", "assigned_to", "redact_message")},
        ),
        # Folded: the call attempts below come within reach without scrolling.
        ("Dates", {"fields": DATES, "classes": ["collapse"]}),
    )
    actions = (
        "assign_to_me",
        "mark_contacted",
        "close_reached",
        "close_asked_to_stop",
        "close_unreachable",
        "retry_team_email",
        "delete_selected",
    )

    class Media:
        css = {"all": ("appointments/admin.css",)}

    def get_queryset(self, request):
        # The treatment by its title (the request keeps the slug of the page).
        title = Treatment.objects.filter(slug=OuterRef("treatment")).values("title")
        return (
            super()
            .get_queryset(request)
            .with_possible_duplicates()
            .annotate(treatment_title=Subquery(title[:1]))
        )

    def has_add_permission(self, request):
        return False  # requests come from patients only

    # Columns and fields ----------------------------------------------------------

    @admin.display(description="call back", ordering="due_at")
    def call_back(self, obj):
        now = timezone.now()
        if obj.status in FINISHED:
            return "-"
        if obj.status == Status.CONTACTED:
            # The promise is kept, the work is not done: say how long it is open.
            return f"Contacted, open {duration(now - obj.created_at)}"
        left = obj.time_left(now)
        if left.total_seconds() < 0:
            return format_html(
                '<strong class="overdue">Overdue by {}</strong>', duration(left)
            )
        return format_html('<span class="due">{} left</span>', duration(left))

    @admin.display(description="due", ordering="due_at")
    def due_column(self, obj):
        if obj.status in FINISHED:
            return "-"
        due = timezone.localtime(obj.due_at)
        if abs(obj.due_at - timezone.now()) < timedelta(days=6):
            return due.strftime("%a %H:%M")  # this week: the day is enough
        return due.strftime("%b %-d, %H:%M")

    @admin.display(description="request", ordering="pk")
    def request_column(self, obj):
        """The request's number and state (no personal details), under a header
        narrower than "appointment request"."""
        return str(obj)

    @admin.display(description="best time", ordering="best_time")
    def best_time_column(self, obj):
        # "Morning", without the hours the form spells out: the column stays narrow.
        return obj.get_best_time_display().split(" (")[0]

    @admin.display(description="phone")
    def phone_column(self, obj):
        return self.phone_link(obj)

    @admin.display(description="received", ordering="created_at")
    def received(self, obj):
        return timezone.localtime(obj.created_at).strftime("%b %-d, %H:%M")

    @admin.display(description="treatment", ordering="treatment")
    def treatment_column(self, obj):
        return getattr(obj, "treatment_title", None) or obj.treatment or "-"

    @admin.display(description="language", ordering="language")
    def language_column(self, obj):
        return obj.get_language_display().split(" (")[-1].rstrip(")")

    @admin.display(description="to note")
    def flags(self, obj):
        """One short column for what changes the call: fewer columns fit a phone."""
        notes = []
        if obj.interpreter:
            notes.append(("", "Interpreter"))
        if obj.status == Status.CLOSED and obj.close_reason:
            notes.append(("", obj.get_close_reason_display()))
        if getattr(obj, "possible_duplicate", False):
            notes.append(("", "Same phone this week"))
        notification = getattr(obj, "notification", None)
        if notification and notification.status == Notification.State.FAILED:
            notes.append(
                (
                    "overdue",
                    f"Team email failed ({notification.attempts} tr"
                    f"{'y' if notification.attempts == 1 else 'ies'})",
                )
            )
        if not notes:
            return "-"
        return format_html_join(mark_safe("<br>"), '<span class="{}">{}</span>', notes)

    @admin.display(description="team email")
    def team_email(self, obj):
        notification = getattr(obj, "notification", None)
        if notification is None:
            return "-"
        if notification.status == Notification.State.FAILED:
            return format_html(
                '<strong class="overdue">Failed ({} tr{})</strong>',
                notification.attempts,
                "y" if notification.attempts == 1 else "ies",
            )
        return notification.get_status_display()

    @admin.display(description="phone")
    def phone_link(self, obj):
        # One tap on a phone; the number never breaks over two lines.
        if not obj.phone_href:
            return obj.phone_display
        return format_html(
            '<a class="phone" href="{}">{}</a>', obj.phone_href, obj.phone_display
        )

    @admin.display(description="same phone within a week")
    def other_requests(self, obj):
        others = (
            AppointmentRequest.objects.with_possible_duplicates()
            .filter(phone=obj.phone, possible_duplicate=True)
            .exclude(pk=obj.pk)
            .order_by("created_at")
        )
        if obj.anonymised_at or not others:
            return "-"
        return format_html_join(
            ", ", '<a href="{}">{}</a>', ((o.get_admin_url(), str(o)) for o in others)
        )

    # Searching: by POST, in the list only, phone numbers in any format ----------

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    def remember_search(self, request):
        """The search form posts its term; the list's address gets a token for it,
        which means something in this session only."""
        params = request.GET.copy()
        for name in (SEARCH_VAR, PAGE_VAR, ERROR_FLAG):
            params.pop(name, None)
        term = request.POST.get(SEARCH_VAR, "")
        if term.strip():
            token = "search:" + secrets.token_hex(16)
            searches = {**request.session.get(SEARCHES, {}), token: term}
            request.session[SEARCHES] = dict(list(searches.items())[-SEARCHES_KEPT:])
            params[SEARCH_VAR] = token
        response = HttpResponseRedirect(
            request.path + (f"?{params.urlencode()}" if params else "")
        )
        response.status_code = 303  # see the list, by GET
        return response

    @staticmethod
    def searched_term(request, query):
        """The term a token in the address stands for; None for a token this
        session does not know. A term typed into the address is itself."""
        if SEARCH_TOKEN.fullmatch(query):
            return request.session.get(SEARCHES, {}).get(query)
        return query

    def get_search_results(self, request, queryset, search_term):
        # Only the list searches: it records every row it shows. Anything else that
        # would search (the admin's autocomplete) is refused.
        opts = self.opts
        changelist = f"admin:{opts.app_label}_{opts.model_name}_changelist"
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name != changelist:
            raise PermissionDenied("Appointment requests are searched in the list.")
        search_term = self.searched_term(request, search_term)
        if search_term is None:
            return queryset.none(), False
        # A name pasted with a character nobody sees still finds the request (the
        # form drops them from what patients send).
        search_term = without_hidden_characters(search_term)
        term = search_term.strip()
        digits = "".join(c for c in term if c.isdigit())
        if term and set(term) <= PHONE_CHARACTERS and len(digits) >= 4:
            if phone_digits(term):
                return queryset.matching_phone(term), False
            return queryset.filter(phone__contains=digits), False
        return super().get_search_results(request, queryset, search_term)

    # The access log --------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        # A form shown again with its errors shows the details too.
        if response.status_code == 200:
            obj = response.context_data.get("original")
            if obj is not None:
                AccessLogEntry.record(request.user, obj, AccessLogEntry.Action.VIEWED)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self.record_viewed(request, response, "History")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)
        self.record_viewed(request, response, "Delete confirmation")
        return response

    @admin.action(
        description="Delete selected appointment requests", permissions=["delete"]
    )
    def delete_selected(self, request, queryset):
        response = django_delete_selected(self, request, queryset)
        if response is not None:  # the confirmation page, which lists them
            AccessLogEntry.record_many(
                request.user,
                list(queryset.values_list("pk", flat=True)),
                AccessLogEntry.Action.VIEWED,
                "Delete confirmation",
            )
        return response

    @staticmethod
    def record_viewed(request, response, screen):
        obj = getattr(response, "context_data", {}).get("object")
        if response.status_code == 200 and obj is not None:
            AccessLogEntry.record(
                request.user, obj, AccessLogEntry.Action.VIEWED, screen
            )

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if (
            request.method == "POST"
            and SEARCH_VAR in request.POST
            and "action" not in request.POST
        ):
            return self.remember_search(request)
        query = request.GET.get(SEARCH_VAR, "")
        if self.searched_term(request, query) is None:
            messages.info(
                request,
                "That search was made in another session or has expired: search again.",
            )
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and changelist.query:
            # The rows shown for a search say who matched; the term is never kept.
            AccessLogEntry.record_many(
                request.user,
                [obj.pk for obj in changelist.result_list],
                AccessLogEntry.Action.SEARCHED,
            )
        elif changelist is not None:
            # The inbox shows names and numbers: each row shown is a look.
            AccessLogEntry.record_many(
                request.user,
                [obj.pk for obj in changelist.result_list if not obj.anonymised_at],
                AccessLogEntry.Action.VIEWED,
                "Listed in the inbox",
            )
        return response

    def save_model(self, request, obj, form, change):
        changes = []
        if "status" in form.changed_data:
            new, obj.status = obj.status, form.initial["status"]
            old, new = obj.mark(new)
            changes.append(f"Status: {Status(old).label} → {Status(new).label}")
        if obj.close_reason and (
            "status" in form.changed_data or "close_reason" in form.changed_data
        ):
            changes.append(f"Closed: {obj.get_close_reason_display()}")
        if "assigned_to" in form.changed_data:
            changes.append(
                "Assigned to " + (obj.assigned_to.get_username())
                if obj.assigned_to
                else "Unassigned"
            )
        super().save_model(request, obj, form, change)
        if changes:
            AccessLogEntry.record(
                request.user, obj, AccessLogEntry.Action.CHANGED, "; ".join(changes)
            )
        if form.cleaned_data.get("redact_message") and obj.message:
            obj.redact_message(request.user)
            changes.append("Message redacted")
        form.history = changes

    def construct_change_message(self, request, form, formsets, add=False):
        # Old and new values of the state, never the patient's values.
        message = super().construct_change_message(request, form, formsets, add)
        summary = "; ".join(getattr(form, "history", []))
        return f"{summary}." if summary else message

    def save_formset(self, request, form, formset, change):
        attempts = formset.save(commit=False)
        for attempt in attempts:
            attempt.by = request.user
            attempt.save()
            attempt.request.attempt_logged(attempt)
        if attempts:
            count = len(attempts)
            form.history = [
                *getattr(form, "history", []),
                f"Logged {count} call attempt{'s' if count != 1 else ''}: "
                + ", ".join(a.get_outcome_display() for a in attempts),
            ]

    def delete_model(self, request, obj):
        AccessLogEntry.record(
            request.user, obj, AccessLogEntry.Action.DELETED, "Deleted in the admin"
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        AccessLogEntry.record_many(
            request.user,
            list(queryset.values_list("pk", flat=True)),
            AccessLogEntry.Action.DELETED,
            "Deleted in the admin (bulk)",
        )
        super().delete_queryset(request, queryset)

    # Bulk actions, recorded like single changes ----------------------------------

    def _mark_all(self, request, queryset, status, action_name, reason=""):
        count = 0
        for item in queryset:
            if reason:
                old, new = item.close(reason)
                reason_text = f": {item.get_close_reason_display()}"
            else:
                old, new = item.mark(status)
                reason_text = ""
            detail = (
                f"Status: {Status(old).label} → {Status(new).label}{reason_text} "
                f"({action_name})"
            )
            self.log_change(request, item, detail + ".")
            AccessLogEntry.record(
                request.user, item, AccessLogEntry.Action.BULK, detail
            )
            count += 1
        return count

    @admin.action(description="Assign selected requests to me", permissions=["change"])
    def assign_to_me(self, request, queryset):
        items = list(queryset)
        for item in items:
            item.assigned_to = request.user
            item.save(update_fields=["assigned_to"])
            detail = f"Assigned to {request.user.get_username()} (bulk action)"
            self.log_change(request, item, detail + ".")
            AccessLogEntry.record(
                request.user, item, AccessLogEntry.Action.BULK, detail
            )
        messages.success(request, f"{len(items)} request(s) assigned to you.")

    @admin.action(
        description="Mark selected requests as contacted", permissions=["change"]
    )
    def mark_contacted(self, request, queryset):
        count = self._mark_all(request, queryset, Status.CONTACTED, "bulk action")
        messages.success(request, f"{count} request(s) marked as contacted.")

    def close_all(self, request, queryset, reason):
        """Close each for `reason`; those it does not hold for stay open, said why."""
        refused = [item for item in queryset if item.close_refusal(reason)]
        closable = queryset.exclude(pk__in=[item.pk for item in refused])
        count = self._mark_all(
            request, closable, Status.CLOSED, "bulk action", reason=reason
        )
        messages.success(
            request, f"{count} request(s) closed: {CloseReason(reason).label}."
        )
        for item in refused:
            messages.error(request, f"Request #{item.pk}: {item.close_refusal(reason)}")

    @admin.action(
        description="Close selected: patient reached, nothing more to do",
        permissions=["change"],
    )
    def close_reached(self, request, queryset):
        self.close_all(request, queryset, CloseReason.REACHED)

    @admin.action(
        description="Close selected: asked us to stop", permissions=["change"]
    )
    def close_asked_to_stop(self, request, queryset):
        self.close_all(request, queryset, CloseReason.ASKED_TO_STOP)

    @admin.action(
        description="Close selected: unreachable after several tries",
        permissions=["change"],
    )
    def close_unreachable(self, request, queryset):
        self.close_all(request, queryset, CloseReason.UNREACHABLE)

    @admin.action(
        description="Send the team email again for selected requests",
        permissions=["change"],
    )
    def retry_team_email(self, request, queryset):
        notifications = Notification.objects.filter(request__in=queryset).exclude(
            status=Notification.State.SENT
        )
        sent = sum(1 for n in notifications if n.send())
        failed = len(notifications) - sent
        if failed:
            messages.error(
                request, f"{sent} team email(s) sent; {failed} failed again."
            )
        else:
            messages.success(request, f"{sent} team email(s) sent.")


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    """Read-only, for administrators and the privacy role only."""

    list_display = ("at", "username", "request_id", "action", "detail")
    list_filter = ("action", "at")
    search_fields = ("=request_id", "=username")
    search_help_text = "A request number or a username."
    date_hierarchy = "at"

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (
            request.user.is_superuser
            or request.user.has_perm("appointments.view_accesslogentry")
        )

    def has_module_permission(self, request):
        return self.has_view_permission(request)

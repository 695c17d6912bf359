from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from netguide.admin_site import ReadOnlyAdmin

from .models import (
    FINISHED,
    QUEUE_ORDER,
    AccessLogEntry,
    AppointmentRequest,
    CallAttempt,
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


class AppointmentRequestForm(forms.ModelForm):
    redact_message = forms.BooleanField(
        required=False,
        label="Remove the message",
        help_text="For medical details the patient wrote despite the warning. "
        "The text is gone for good; the access log records who removed it.",
    )

    class Meta:
        model = AppointmentRequest
        fields = ("status", "assigned_to")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.status != Status.EXPIRED:
            # Only the retention rule expires a request: it removes the details too.
            self.fields["status"].choices = [
                c for c in self.fields["status"].choices if c[0] != Status.EXPIRED
            ]


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


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(admin.ModelAdmin):
    form = AppointmentRequestForm
    ordering = QUEUE_ORDER
    inlines = (CallAttemptInline,)
    list_display = (
        "__str__",
        "call_back",
        "assigned_to",
        "treatment_column",
        "language_column",
        "flags",
        "received",
    )
    list_filter = (
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
    readonly_fields = (
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
        "consent",
        "other_requests",
        "created_at",
        "due_at",
        "call_back",
        "contacted_at",
        "closed_at",
        "anonymised_at",
        "team_email",
    )
    fieldsets = (
        (
            "What the patient sent",
            {
                "fields": (
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
                    "consent",
                    "other_requests",
                )
            },
        ),
        ("Handling", {"fields": ("status", "assigned_to", "redact_message")}),
        (
            "Dates",
            {
                "fields": (
                    "created_at",
                    "due_at",
                    "call_back",
                    "contacted_at",
                    "closed_at",
                    "anonymised_at",
                    "team_email",
                )
            },
        ),
    )
    actions = (
        "assign_to_me",
        "mark_contacted",
        "mark_closed",
        "retry_team_email",
        "delete_selected",
    )

    class Media:
        css = {"all": ("appointments/admin.css",)}

    def get_queryset(self, request):
        return super().get_queryset(request).with_possible_duplicates()

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

    @admin.display(description="received", ordering="created_at")
    def received(self, obj):
        return timezone.localtime(obj.created_at).strftime("%b %-d, %H:%M")

    @admin.display(description="treatment", ordering="treatment")
    def treatment_column(self, obj):
        return obj.treatment or "-"

    @admin.display(description="language", ordering="language")
    def language_column(self, obj):
        return obj.get_language_display().split(" (")[-1].rstrip(")")

    @admin.display(description="to note")
    def flags(self, obj):
        """One short column for what changes the call: fewer columns fit a phone."""
        notes = []
        if obj.interpreter:
            notes.append(("", "Interpreter"))
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
        if not obj.phone_href:
            return obj.phone_display
        return format_html('<a href="{}">{}</a>', obj.phone_href, obj.phone_display)

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

    # Phone numbers in any format -------------------------------------------------

    def get_search_results(self, request, queryset, search_term):
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

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and changelist.query:
            # The rows shown for a search say who matched; the term is never kept.
            AccessLogEntry.record_many(
                request.user,
                [obj.pk for obj in changelist.result_list],
                AccessLogEntry.Action.SEARCHED,
            )
        return response

    def save_model(self, request, obj, form, change):
        changes = []
        if "status" in form.changed_data:
            new, obj.status = obj.status, form.initial["status"]
            old, new = obj.mark(new)
            changes.append(f"Status: {Status(old).label} → {Status(new).label}")
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

    def _mark_all(self, request, queryset, status, action_name):
        count = 0
        for item in queryset:
            old, new = item.mark(status)
            detail = (
                f"Status: {Status(old).label} → {Status(new).label} ({action_name})"
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

    @admin.action(
        description="Mark selected requests as closed", permissions=["change"]
    )
    def mark_closed(self, request, queryset):
        count = self._mark_all(request, queryset, Status.CLOSED, "bulk action")
        messages.success(request, f"{count} request(s) closed.")

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

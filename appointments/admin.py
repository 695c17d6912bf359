from django.contrib import admin, messages
from django.utils.timesince import timesince

from .models import AppointmentRequest, Status


@admin.register(AppointmentRequest)
class AppointmentRequestAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "status",
        "requester",
        "best_time",
        "created_at",
        "waiting",
    )
    list_filter = ("status", "requester", "best_time")
    search_fields = ("name", "phone", "email")
    readonly_fields = (
        "name",
        "phone_display",
        "email",
        "best_time",
        "requester",
        "treatment",
        "message",
        "consent",
        "created_at",
        "contacted_at",
        "closed_at",
        "anonymised_at",
    )
    fields = (*readonly_fields, "status", "coordinator_note")
    actions = ("mark_contacted", "mark_closed")

    def get_ordering(self, request):
        # New requests first, then contacted, then closed; oldest first within each.
        return AppointmentRequest.objects.waiting_first().query.order_by

    @admin.display(description="phone")
    def phone_display(self, obj):
        return obj.phone_display

    @admin.display(description="waiting")
    def waiting(self, obj):
        if obj.status != Status.NEW:
            return "-"
        return timesince(obj.created_at)

    def has_add_permission(self, request):
        return False  # requests come from patients only

    @admin.action(
        description="Mark selected requests as contacted", permissions=["change"]
    )
    def mark_contacted(self, request, queryset):
        for item in queryset:
            item.mark(Status.CONTACTED)
        messages.success(request, f"{queryset.count()} request(s) marked as contacted.")

    @admin.action(
        description="Mark selected requests as closed", permissions=["change"]
    )
    def mark_closed(self, request, queryset):
        for item in queryset:
            item.mark(Status.CLOSED)
        messages.success(request, f"{queryset.count()} request(s) closed.")

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            obj.mark(obj.status)
        super().save_model(request, obj, form, change)

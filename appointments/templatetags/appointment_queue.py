from django import template

from ..models import AppointmentRequest, Notification

register = template.Library()


@register.simple_tag
def queue_counts():
    """The numbers the admin index shows the appointment team."""
    requests = AppointmentRequest.objects
    return {
        "overdue": requests.overdue().count(),
        "due_soon": requests.due_within(4).count(),
        "unassigned": requests.unassigned().count(),
        "open": requests.open().count(),
        "failed_emails": Notification.objects.failed().count(),
    }

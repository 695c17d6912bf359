from django.conf import settings
from django.core.mail import send_mail


def notify_new_request(appointment_request):
    """One short email to the appointment team: a link, no personal details."""
    recipient = settings.APPOINTMENTS_NOTIFY_EMAIL
    if not recipient:
        return
    link = settings.SITE_URL.rstrip("/") + appointment_request.get_admin_url()
    send_mail(
        "NET Guide: a new appointment request",
        f"A new appointment request is waiting for a call back.\n\nOpen it in the admin: {link}\n",
        None,
        [recipient],
    )

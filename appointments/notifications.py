"""The team's email is sent after the patient has the confirmation page."""

from django.conf import settings
from django.http import HttpResponseRedirect


class RedirectThenNotify(HttpResponseRedirect):
    """A redirect whose close() sends the team's email.

    The WSGI server calls close() once the response is written, so a slow or refusing
    mail server never delays or breaks the patient's page (the SMTP timeout bounds how
    long the worker waits). A failure is stored on the Notification for the admin and
    the send_appointment_notifications command.
    """

    def __init__(self, url, notification):
        super().__init__(url)
        self.notification = notification

    def close(self):
        try:
            if self.notification is not None and settings.APPOINTMENTS_NOTIFY_EMAIL:
                self.notification.send()
        finally:
            super().close()

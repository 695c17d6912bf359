from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Appointment requests"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)

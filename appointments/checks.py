"""Deploy checks: a team that is never told of a request cannot call the patient back."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.module_loading import import_string

# Backends that accept a message and deliver it nowhere.
UNDELIVERED = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}
MAX_SMTP_TIMEOUT = 10


def mailer_settings():
    mailers = getattr(settings, "MAILERS", None)
    if mailers:
        default = mailers.get("default", {})
        return default.get("BACKEND", ""), default.get("OPTIONS", {})
    return settings.EMAIL_BACKEND, {"timeout": settings.EMAIL_TIMEOUT}


@register(Tags.security, deploy=True)
def check_team_email(app_configs, **kwargs):
    errors = []
    backend, options = mailer_settings()
    try:
        import_string(backend)
    except ImportError:
        errors.append(
            Error(
                f"The email backend {backend!r} cannot be imported.",
                hint="Set DJANGO_EMAIL_BACKEND to an importable backend.",
                id="appointments.E001",
            )
        )
    if backend in UNDELIVERED:
        errors.append(
            Error(
                f"The email backend {backend!r} delivers no mail: the appointment "
                "team would never hear of a new request.",
                hint="Use the SMTP backend (the default outside DEBUG).",
                id="appointments.E002",
            )
        )
    recipient = settings.APPOINTMENTS_NOTIFY_EMAIL
    try:
        validate_email(recipient)
    except ValidationError:
        errors.append(
            Error(
                f"NETGUIDE_APPOINTMENTS_EMAIL is {recipient!r}, not an email address.",
                hint="Set it to the appointment team's address.",
                id="appointments.E003",
            )
        )
    if backend.endswith("smtp.EmailBackend"):
        timeout = options.get("timeout")
        if not timeout or timeout > MAX_SMTP_TIMEOUT:
            errors.append(
                Error(
                    f"The SMTP timeout is {timeout!r}: a mail server that does not "
                    "answer would hold a worker for ever.",
                    hint=f"Set DJANGO_EMAIL_TIMEOUT to {MAX_SMTP_TIMEOUT} seconds or less.",
                    id="appointments.E004",
                )
            )
    return errors

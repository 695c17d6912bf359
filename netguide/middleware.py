import logging

from django.conf import settings
from django.contrib.sessions import middleware as sessions
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware import locale
from django.template.loader import render_to_string
from django.utils.module_loading import import_string
from django.utils.translation import get_language

logger = logging.getLogger("netguide")


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than MAX_REQUEST_BYTES before reading it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse(
                "Bad Content-Length.", status=400, content_type="text/plain"
            )
        if length > settings.MAX_REQUEST_BYTES:
            return HttpResponse(
                "Request too large.", status=413, content_type="text/plain"
            )
        return self.get_response(request)


class FormCharsetMiddleware:
    """Refuse a form body that is not UTF-8 at the door, with a 400.

    Django refuses it too, but only when the body is first read, which is CSRF's
    check, and again in the 400 and 500 handlers (they check CSRF): the exception
    then escapes Django and gunicorn answers 500.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.content_type in self.FORM_TYPES:
            charset = request.content_params.get("charset", "utf-8")
            if charset.strip().lower().replace("_", "-") not in ("utf-8", "utf8"):
                return HttpResponse(
                    "Forms must be sent as UTF-8.",
                    status=400,
                    content_type="text/plain",
                )
        return self.get_response(request)


class SessionMiddleware(sessions.SessionMiddleware):
    """Django's, leaving the session alone on a server error.

    Django skips the save on a 5xx but first reads the session's expiry, a query:
    while the database is down that query turned the calm 503 into a 500.
    """

    def process_response(self, request, response):
        if response.status_code >= 500:
            return response
        return super().process_response(request, response)


class SecurityHeadersMiddleware:
    """Headers Django does not set by itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class DatabaseUnavailableMiddleware:
    """A calm 503 page instead of a traceback when the database is away.

    Cached pages never reach the database, so they keep being served.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None  # a real bug: Django's 500 handling and its log, not "a short break"
        logger.error(
            "Database unavailable: %s",
            str(exception).strip().splitlines()[0]
            if str(exception).strip()
            else type(exception).__name__,
        )
        # The approved copy kept aside: no query.
        return outage_response(database=False)


def outage_response(database=True):
    """The calm 503 page in the active language (also published as a file for nginx:
    netguide/static_site.py), with the site's contact details from the content app
    (settings.OUTAGE_CONTACT)."""
    site = import_string(settings.OUTAGE_CONTACT)(database=database)
    html = render_to_string("503.html", {"site": site, "LANGUAGE_CODE": get_language()})
    response = HttpResponse(html, status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, activating the language the address names (/es/… Spanish, anything
    else the source language), without what it adds to responses: `Vary:
    Accept-Language` (the language never comes from that header here, and the Vary
    would split every shared cache by it) and `Content-Language` (each page says its
    language in <html lang>; published files carry the same headers as Django's)."""

    def process_response(self, request, response):
        return response

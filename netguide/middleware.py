import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

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
        from treatments.models import SiteSettings

        site = SiteSettings(pk=1).snapshot()  # built-in defaults: no query
        html = render_to_string("503.html", {"site": site})
        response = HttpResponse(html, status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from . import background


@never_cache
def healthz(request):
    """200 when the database and the cache answer, 503 otherwise. No session, no
    template. The background queue is detail for operators ("background": waiting
    now, the oldest wait, queued for later, running, failed, when a worker was last
    seen): a queue that is behind does not take this server out of service."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        checks["database"] = "unavailable"
    try:
        cache.set("healthz", "ok", 10)
        checks["cache"] = "ok" if cache.get("healthz") == "ok" else "unavailable"
    except Exception:
        checks["cache"] = "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    detail = {}
    if checks["database"] == "ok":
        try:
            detail["background"] = background.queue_health()
        except Exception:
            detail["background"] = "unavailable"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks, **detail},
        status=200 if healthy else 503,
    )

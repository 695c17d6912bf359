"""Rendered public pages in Django's cache, invalidated by what they show.

Each page names the kinds of content it shows (`depends_on`). Every kind has a
version in the cache; publishing a record of that kind bumps it, so exactly the
pages that show that kind miss the cache next time. A cache hit costs no query.
A cache outage is logged once and bypassed: pages then come from the database.
"""

import functools
import hashlib
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import http_date

logger = logging.getLogger("netguide.cache")

KIND_OF_MODEL = {
    "modality": "treatments",
    "sideeffect": "side-effects",
    "page": "pages",
    "glossaryterm": "glossary",
    "sitesettings": "site",
    "reviewerprofile": "pages",
}
ALL_KINDS = ("treatments", "side-effects", "pages", "glossary", "site")
STORED_HEADERS = ("Content-Type", "Last-Modified", "Content-Language")


class CacheHealth:
    """Logs a cache outage once, and its end once."""

    down = False

    @classmethod
    def failed(cls, error):
        if not cls.down:
            logger.warning("Page cache unavailable, serving from the database: %s", error)
        cls.down = True

    @classmethod
    def worked(cls):
        if cls.down:
            logger.warning("Page cache is back.")
        cls.down = False


def version_key(kind):
    return f"content-version:{kind}"


def content_versions(kinds):
    """The current version of each kind; missing ones get a fresh (never-seen) version."""
    keys = [version_key(kind) for kind in kinds]
    found = cache.get_many(keys)
    missing = {key: uuid.uuid4().hex for key in keys if key not in found}
    if missing:
        cache.set_many(missing, None)
        found.update(missing)
    return [found[key] for key in keys]


def content_changed(model_name):
    """Call when published content of this model changed: its pages are rebuilt."""
    kind = KIND_OF_MODEL.get(model_name)
    if kind is None:
        return
    try:
        cache.set(version_key(kind), uuid.uuid4().hex, None)
        CacheHealth.worked()
    except Exception as error:
        CacheHealth.failed(error)


def page_key(request, versions):
    raw = "|".join([request.method, request.get_full_path(), *versions])
    return "page:" + hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def public_page(*depends_on):
    """Cache a public view's response; shared caches may keep it briefly."""
    kinds = tuple(dict.fromkeys((*depends_on, "site")))

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in ("GET", "HEAD"):
                return view(request, *args, **kwargs)
            key = None
            try:
                key = page_key(request, content_versions(kinds))
                cached = cache.get(key)
                CacheHealth.worked()
            except Exception as error:
                CacheHealth.failed(error)
                cached = None
            if cached is not None:
                response = HttpResponse(cached["content"], status=cached["status"])
                for header, value in cached["headers"].items():
                    response[header] = value
                response["X-Page-Cache"] = "hit"
            else:
                response = view(request, *args, **kwargs)
                if key is not None and storable(response):
                    store(key, response)
                response["X-Page-Cache"] = "miss"
            patch_cache_control(response, **public_cache_control())
            return response

        return wrapper

    return decorator


def public_cache_control():
    directives = {}
    for part in settings.PUBLIC_CACHE_CONTROL.split(","):
        name, _, value = part.strip().partition("=")
        directives[name.replace("-", "_")] = value or True
    return directives


def storable(response):
    return (
        response.status_code == 200
        and not response.cookies
        and not getattr(response, "streaming", False)
    )


def store(key, response):
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    try:
        cache.set(
            key,
            {
                "content": response.content,
                "status": response.status_code,
                "headers": {h: response[h] for h in STORED_HEADERS if h in response},
            },
            settings.PAGE_CACHE_SECONDS,
        )
    except Exception as error:
        CacheHealth.failed(error)


def set_last_modified(response, *moments):
    """Last-Modified from the published content a page shows."""
    moments = [m for m in moments if m]
    if moments:
        response["Last-Modified"] = http_date(max(moments).timestamp())
    return response

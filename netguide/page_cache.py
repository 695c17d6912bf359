"""Rendered public pages in Django's cache, invalidated by what they show.

Each page names the kinds of content it shows (`depends_on`); each content model
names its kind (`cache_kind`). Every kind has a version in the cache; publishing a record of that kind bumps it, so exactly the
pages that show that kind miss the cache next time. A cache hit costs no query.
A cache outage is logged once and bypassed: pages then come from the database.

A page is kept as it is sent: GZipMiddleware runs inside this one, so a client that
takes gzip gets the bytes compressed at the miss, not compressed again on every hit
(that was half of a hit's time), and a client that does not gets an entry of its own.

Each server process also keeps a copy of the pages it served or stored (`PageCopies`,
the WSGI application's outer layer): a request for one is answered before Django, as
long as the versions of what the page shows are still those in the shared cache.
"""

import functools
import hashlib
import logging
import threading
import time
import uuid
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import Http404, HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.urls import Resolver404, resolve
from django.utils.cache import (
    add_never_cache_headers,
    get_conditional_response,
    patch_cache_control,
    set_response_etag,
)
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import get_language
from django.views.defaults import page_not_found

from netguide.middleware import FormCharsetMiddleware

logger = logging.getLogger("netguide.cache")

UNSTORED_HEADERS = {"set-cookie", "x-page-cache", "content-length", "date"}

# What the page cache tells PageCopies through the request's WSGI environ.
# This answer may be copied: (version keys, versions, seconds left, for any query).
COPY_NOTE = "netguide.page_cache.copy"
CACHE_FAILED = "netguide.page_cache.failed"  # the cache failed already: no lookup


class CacheHealth:
    """Logs a cache outage once, and its end once."""

    down = False

    @classmethod
    def failed(cls, error):
        if not cls.down:
            logger.warning(
                "Page cache unavailable, serving from the database: %s", error
            )
        cls.down = True

    @classmethod
    def worked(cls):
        if cls.down:
            logger.warning("Page cache is back.")
        cls.down = False


# While the published files are built, nothing comes from the cache: the files hold
# what the approved revisions render to, whatever a cache entry says.
_uncached = ContextVar("page_cache_uncached", default=False)


@contextmanager
def uncached():
    """Render from the database only: no cached page or derived list is read or
    stored while this lasts (in this thread or task)."""
    token = _uncached.set(True)
    try:
        yield
    finally:
        _uncached.reset(token)


def version_key(kind):
    return f"content-version:{kind}"


def lookup(key, kinds):
    """One cache round trip: the current version of each kind and the stored page.

    Returns (versions, stored page or None). A kind with no version yet gets a fresh
    one, which no stored page can match.
    """
    version_keys = [version_key(kind) for kind in kinds]
    found = cache.get_many([*version_keys, key])
    missing = {k: uuid.uuid4().hex for k in version_keys if k not in found}
    if missing:
        cache.set_many(missing, None)
        found.update(missing)
    versions = [found[k] for k in version_keys]
    entry = found.get(key)
    if entry is not None and entry.get("versions") != versions:
        entry = None  # something this page shows was published since it was stored
    return versions, entry


def remembered(name, kinds, compute):
    """A value derived from published content (the known treatment slugs, say), kept
    in the cache until content of one of `kinds` is published; computed when the
    cache is away. Lets a query be normalized without a database query."""
    if _uncached.get() or not settings.PAGE_CACHE_SECONDS:
        return compute()  # nothing is kept: no round trip to the cache
    try:
        versions, entry = lookup(f"remembered:{name}", kinds)
    except Exception as error:
        CacheHealth.failed(error)
        return compute()
    if entry is not None:
        return entry["value"]
    value = compute()
    try:
        cache.set(
            f"remembered:{name}",
            {"versions": versions, "value": value},
            settings.PAGE_CACHE_SECONDS,
        )
    except Exception as error:
        CacheHealth.failed(error)
    return value


def content_changed(kind):
    """Call when published content of this kind changed: its pages are rebuilt.

    The version moves now and again once the transaction commits: a page rendered
    in between (still from the old content) is then stale too.
    """
    bump_version(kind)
    transaction.on_commit(lambda: bump_version(kind))


def bump_version(kind):
    try:
        cache.set(version_key(kind), uuid.uuid4().hex, None)
        CacheHealth.worked()
    except Exception as error:
        CacheHealth.failed(error)


def page_address(request, query):
    """This path and its normalized query: other parameters (utm_source=…) and their
    values never make an entry of their own."""
    return request.path + (f"?{query}" if query else "")


def page_key(address, entries=None, compressed=False):
    """The cache key for a page's address, as sent `compressed` (gzip) or not. A
    view that takes free text (search) names how many `entries` its queries may
    have: each query then has one of that many keys, which it shares with others
    and overwrites, so made-up queries can never add more (the entry says which
    address it holds)."""
    # GET and HEAD share an entry: the server drops the body of a HEAD response.
    digest = hashlib.sha256(address.encode("utf-8", "surrogateescape")).hexdigest()
    encoding = ":gzip" if compressed else ""
    path, _, query = address.partition("?")
    if entries and query:
        slot = int(digest[:16], 16) % entries
        path_digest = hashlib.sha256(path.encode("utf-8", "surrogateescape"))
        return f"page:{path_digest.hexdigest()}:{slot}{encoding}"
    return f"page:{digest}{encoding}"


def no_query(request):
    return ""


def public_page(*depends_on, query=no_query, entries=None):
    """Mark a public view as cacheable, naming the kinds of content it shows (or
    giving a function that names them, asked once: a view that shows every kind
    of a registry's types).

    `query(request)` says which query parameters the view reads: it returns them
    normalized as a string ("" when none apply, which shares the plain page's
    entry), or None when the response must not be cached (invalid input). The
    default: the view takes no parameters, so the query string is ignored. A view
    whose queries are free text bounds them to `entries` cache entries (page_key).

    PageCacheMiddleware does the caching, early in the middleware stack so that a
    hit skips sessions, CSRF and the view; this decorator also lets shared caches
    (a CDN) keep the response briefly.
    """

    @functools.cache
    def kinds():
        named = (
            depends_on[0]()
            if len(depends_on) == 1 and callable(depends_on[0])
            else depends_on
        )
        return tuple(dict.fromkeys((*named, *settings.EVERY_PAGE_SHOWS)))

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if getattr(response, "page_is_private", False):
                # What one patient chose (their summary): no cache keeps it.
                add_never_cache_headers(response)
            elif not response.cookies:
                patch_cache_control(response, **public_cache_control())
            return response

        wrapper.page_cache_kinds = kinds
        wrapper.page_cache_query = query
        wrapper.page_cache_entries = entries
        return wrapper

    return decorator


def private_page(view):
    """Mark a view whose answers are for one person (a draft's preview, a share
    link's): no cache, shared or the browser's, keeps them, their 404 included."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404 as exception:
            response = page_not_found(request, exception)
        add_never_cache_headers(response)
        return response

    return wrapper


class PageCacheMiddleware:
    """Serve marked public pages from the cache; store them after a render."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        view = self.public_view(request)
        if view is None or _uncached.get():
            return self.get_response(request)
        # A stored page must not answer a host this site does not serve (400).
        request.get_host()
        if request.environ.get(CACHE_FAILED):
            # PageCopies waited on the cache once already: the page comes from the
            # database, and nothing it shows is read from the cache either.
            with uncached():
                response = self.get_response(request)
            response["X-Page-Cache"] = "miss"
            return response
        query = view.page_cache_query(request)
        if query is None:
            return self.get_response(request)
        address = page_address(request, query)
        # As GZipMiddleware reads it: a client it compresses for shares that entry.
        compressed = re_accepts_gzip.search(
            request.META.get("HTTP_ACCEPT_ENCODING", "")
        )
        key = page_key(address, view.page_cache_entries, bool(compressed))
        versions, cached = None, None
        try:
            versions, cached = lookup(key, view.page_cache_kinds())
            CacheHealth.worked()
        except Exception as error:
            CacheHealth.failed(error)
        if cached is not None and cached.get("address") == address:
            # A copy lives no longer than the entry it copies (an entry stored by
            # the release before says nothing: it lives the cache's time at most).
            expires = cached.get("expires", time.time() + settings.PAGE_CACHE_SECONDS)
            left = expires - time.time()
            note_copy(request, view, query, versions, left)
            return self.cached_response(request, cached)
        response = self.get_response(request)
        if response.cookies:
            # A signed-in editor's session cookie: this response is theirs alone.
            patch_cache_control(response, private=True, no_cache=True)
        elif versions is not None and storable(response):
            if store(key, address, versions, response):
                note_copy(request, view, query, versions, settings.PAGE_CACHE_SECONDS)
        response["X-Page-Cache"] = "miss"
        return response

    @staticmethod
    def public_view(request):
        if request.method not in ("GET", "HEAD"):
            return None
        urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
        return public_view_at(request.path_info, get_language(), urlconf)

    @staticmethod
    def cached_response(request, cached):
        response = HttpResponse(cached["content"], status=cached["status"])
        for header, value in cached["headers"].items():
            response[header] = value
        response["X-Page-Cache"] = "hit"
        # Sent with its length, not chunked (CommonMiddleware, which would add it,
        # comes after the cache).
        response["Content-Length"] = str(len(response.content))
        return get_conditional_response(
            request,
            etag=response.get("ETag"),
            last_modified=parse_http_date_safe(response["Last-Modified"])
            if "Last-Modified" in response
            else None,
            response=response,
        )


@functools.lru_cache(maxsize=1024)  # any address may be asked for: a bounded few kept
def public_view_at(path, language, urlconf):
    """The cacheable public view `path` resolves to in `language` (the URL patterns
    depend on it), or None; resolved once per address, not on every cache hit."""
    try:
        match = resolve(path, urlconf)
    except (Resolver404, ValueError):
        return None
    return match.func if hasattr(match.func, "page_cache_kinds") else None


def note_copy(request, view, query, versions, seconds):
    """Let this process keep a copy of the answer (PageCopies), the bytes of a cache
    entry, for the `seconds` the entry has left: of a view that reads no query, for
    any address of its path; of one that reads a query, for its normalized address
    only, as the site's own links write it (what normalizing reads — the approved
    questions, the treatments' order — is content the page shows, so its versions
    cover it). Free text (search) is not copied: made-up queries would push the
    pages out."""
    if seconds <= 0 or view.page_cache_entries:
        return
    any_query = view.page_cache_query is no_query
    if any_query or request.META.get("QUERY_STRING", "") == query:
        keys = tuple(version_key(kind) for kind in view.page_cache_kinds())
        request.environ[COPY_NOTE] = (keys, versions, seconds, any_query)


class PageCopy:
    __slots__ = ("version_keys", "versions", "status", "headers", "body", "until")

    def __init__(self, version_keys, versions, status, headers, body, until):
        self.version_keys, self.versions = version_keys, versions
        self.status, self.headers, self.body, self.until = status, headers, body, until


class PageCopies:
    """The WSGI application's outer layer: answers a page the page cache served or
    stored in this process again, from a copy of what was sent, while the versions
    of what it shows are those in the shared cache — one round trip, as a hit in
    Django costs, without Django's request, middlewares and response (two thirds of
    a hit's time). So an approval reaches every process's next answer as it does
    the cache's.

    A copy is per address as sent: path (and query, for a page that reads one),
    host, scheme (and the proxy's), and whether the client takes gzip; conditional
    requests, requests with a body and anything but GET and HEAD go to Django. A
    copy is kept no longer than the entry it copies, and a few hundred at most per
    process. An answer to HEAD carries no body."""

    MOST = 256
    DROPPED_HEADERS = {"date", "x-page-cache"}

    def __init__(self, application):
        self.application = application
        self.copies = {}
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        head = environ.get("REQUEST_METHOD") == "HEAD"
        address = self.address(environ)
        if address is None:
            return self.headless(self.application(environ, start_response), head)
        query = environ.get("QUERY_STRING", "")
        copy = self.copies.get(address) or self.copies.get((*address, query))
        if copy is not None and time.monotonic() < copy.until:
            try:
                found = cache.get_many(copy.version_keys)
                CacheHealth.worked()
            except Exception as error:
                CacheHealth.failed(error)
                environ[CACHE_FAILED] = True
            else:
                if [found.get(key) for key in copy.version_keys] == copy.versions:
                    start_response(copy.status, copy.headers)
                    return [] if head else [copy.body]
        sent = {}

        def capture(status, headers, exc_info=None):
            sent["status"], sent["headers"] = status, headers
            return start_response(status, headers, exc_info)

        response = self.application(environ, capture)
        note = environ.get(COPY_NOTE)
        if note is None or not sent.get("status", "").startswith("200 "):
            return self.headless(response, head)
        try:
            body = b"".join(response)
        finally:
            response.close()
        self.keep(address, query, note, sent, body)
        return [] if head else [body]

    @staticmethod
    def headless(response, head):
        """An answer to HEAD has headers only (gunicorn would send Django's body,
        which a client keeping the connection would read as the next answer)."""
        if not head:
            return response
        if hasattr(response, "close"):
            response.close()
        return []

    # Conditions Django answers (304, 412), and a body sent in chunks.
    TO_DJANGO = (
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_MATCH",
        "HTTP_IF_UNMODIFIED_SINCE",
        "HTTP_TRANSFER_ENCODING",
    )

    @staticmethod
    def address(environ):
        """What decides the answer, for a request a copy may answer; else None."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return None
        if any(environ.get(name) for name in PageCopies.TO_DJANGO):
            return None
        if environ.get("CONTENT_LENGTH") not in (None, "", "0"):
            return None
        content_type = environ.get("CONTENT_TYPE", "").partition(";")[0].strip()
        if content_type.lower() in FormCharsetMiddleware.FORM_TYPES:
            return None  # a form's charset may get a 400
        host = environ.get("HTTP_HOST")
        if not host:
            return None  # Django checks the server's own name: its answer
        if settings.USE_X_FORWARDED_HOST:
            host = environ.get("HTTP_X_FORWARDED_HOST") or host
        return (
            environ.get("SCRIPT_NAME", ""),
            environ.get("PATH_INFO", ""),
            host.lower(),
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_X_FORWARDED_PROTO", "").split(",", 1)[0].strip(),
            bool(re_accepts_gzip.search(environ.get("HTTP_ACCEPT_ENCODING", ""))),
        )

    def keep(self, address, query, note, sent, body):
        version_keys, versions, seconds, any_query = note
        if not any_query:
            address = (*address, query)
        headers = [
            (name, value)
            for name, value in sent["headers"]
            if name.lower() not in self.DROPPED_HEADERS
        ]
        headers.append(("X-Page-Cache", "hit"))
        until = time.monotonic() + seconds
        copy = PageCopy(version_keys, versions, sent["status"], headers, body, until)
        with self.lock:
            self.copies.pop(address, None)
            while len(self.copies) >= self.MOST:
                self.copies.pop(next(iter(self.copies)))  # the oldest
            self.copies[address] = copy


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
        and not getattr(response, "page_cache_skip", False)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def store(key, address, versions, response):
    """Keep the response in the cache; whether it was kept."""
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if not response.has_header("ETag"):
        set_response_etag(response)
    headers = {h: v for h, v in response.items() if h.lower() not in UNSTORED_HEADERS}
    try:
        cache.set(
            key,
            {
                "address": address,
                "versions": versions,
                "expires": time.time() + settings.PAGE_CACHE_SECONDS,
                "content": response.content,
                "status": response.status_code,
                "headers": headers,
            },
            settings.PAGE_CACHE_SECONDS,
        )
    except Exception as error:
        CacheHealth.failed(error)
        return False
    return True


def set_last_modified(response, *moments):
    """Last-Modified from the published content a page shows."""
    moments = [m for m in moments if m]
    if moments:
        response["Last-Modified"] = http_date(max(moments).timestamp())
    return response

"""Approved public pages as files, for nginx to serve with no Python behind them.

The pages registered with django-distill's `distill_path` (treatments/urls.py) are
rendered through Django's whole middleware stack, exactly as Django answers them, and
written with `.gz` and `.br` copies into a new build under NETGUIDE_PUBLISH_DIR:

    builds/<id>/site/...          what nginx serves ("/a/b/" is site/a/b/index.html)
    builds/<id>/errors/           404.html and 503.html, for nginx's error_page
    builds/<id>/manifest.json     each file's SHA-256 and the kinds each page shows
    current -> builds/<id>        switched by one rename: nobody sees half a site

An approval rebuilds only the pages whose @public_page names the approved kind; every
other file is a hard link to the previous build (same bytes, same mtime, same ETag).
A failed render leaves `current` as it was and is recorded (`failure()`) for the
reviewer's screen and `publish_site --check`.
"""

import fcntl
import gzip
import hashlib
import json
import logging
import os
import shutil
import stat
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import brotli
from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.tasks import task
from django.urls import get_resolver
from django.utils import translation
from django.utils.http import parse_http_date_safe
from django_distill.request import generate_filename, generate_uri, get_uri_values
from django_distill.utils import iter_url_patterns

from netguide import background, page_cache
from netguide.middleware import outage_response

logger = logging.getLogger("netguide.static_site")

BUILDS_KEPT = 3
COPIES = {".gz": lambda body: gzip.compress(body, 9, mtime=0), ".br": brotli.compress}
FAILURE_FILE = "last-failure.txt"
ALL_KINDS = None


class PublishError(Exception):
    pass


@dataclass(frozen=True)
class SiteFile:
    url: str  # the address patients use
    file: str  # relative to the build: site/... or errors/...
    kinds: tuple  # what it shows: an approval of one of these rebuilds it
    language: str = settings.LANGUAGE_CODE  # what the error pages are written in

    def is_error(self, status):
        return self.url == status or self.url == f"{self.language}/{status}"


def enabled():
    return bool(settings.PUBLISH_DIR)


def publish_dir():
    return Path(settings.PUBLISH_DIR)


# What is published -----------------------------------------------------------------


def site_files():
    """Every distilled page in every language (settings.LANGUAGES), one per published
    slug, then each language's two error pages (errors/ for the source language,
    errors/<code>/ for the others)."""
    pages = []
    for language, _name in settings.LANGUAGES:
        source = language == settings.LANGUAGE_CODE
        with translation.override(language):
            for pattern in distilled_patterns():
                if pattern.distill_file and not source:
                    continue  # sitemap.xml and robots.txt: one for every language
                pages += distilled_pages(pattern, language)
        # Named "404" and "503" in the source language, "es/404"… in the others.
        prefix = "" if source else f"{language}/"
        for status in ("404", "503"):
            pages.append(
                SiteFile(
                    prefix + status,
                    f"errors/{prefix}{status}.html",
                    tuple(settings.EVERY_PAGE_SHOWS),
                    language,
                )
            )
    return pages


def distilled_patterns():
    """The distilled URL patterns of the URLconf in use (django-distill's own list
    is of the URLconf it found at start-up)."""
    for pattern, namespace, _depth in iter_url_patterns():
        if getattr(pattern, "is_distilled", False):
            pattern.distill_namespace = namespace
            yield pattern


def distilled_pages(pattern, language):
    """The pages of one distilled URL pattern, in the active language."""
    pages = []
    kinds = pattern.callback.page_cache_kinds()
    for params in get_uri_values(pattern.distill_func, pattern.name):
        if params is None and pattern.pattern.converters:
            continue  # nothing of this kind is published yet
        params = () if params is None else params
        params = (params,) if isinstance(params, str) else params
        url = generate_uri(pattern.distill_namespace, pattern.name, params)
        name = generate_filename(pattern.distill_file, url, params)
        if not name:
            raise PublishError(f"{url} needs a distill_file name (it has no '/').")
        pages.append(SiteFile(url, f"site/{name}", kinds, language))
    return pages


class Renderer:
    """Django's answer to a GET, through every middleware, on the canonical host.

    Not django-distill's renderer: that one sends Django's request signals, which close
    the approving request's database connection (inside a test's transaction too), and
    answers for any host by widening ALLOWED_HOSTS for the whole process.
    """

    def __init__(self):
        self.handler = BaseHandler()
        self.handler.load_middleware()
        self.site = urlsplit(settings.SITE_URL)

    def request(self, path):
        https = self.site.scheme == "https"
        return WSGIRequest(
            {
                "REQUEST_METHOD": "GET",
                "PATH_INFO": path,
                "SCRIPT_NAME": "",
                "QUERY_STRING": "",
                "SERVER_NAME": self.site.hostname,
                "SERVER_PORT": str(self.site.port or (443 if https else 80)),
                "HTTP_HOST": self.site.netloc,
                "HTTP_X_FORWARDED_PROTO": self.site.scheme,
                "wsgi.url_scheme": self.site.scheme,
                "wsgi.input": BytesIO(),
            }
        )

    def render(self, page):
        """(body, Last-Modified as a timestamp or None), or None for an address where
        nothing is approved yet (404: Django answers it); PublishError otherwise.
        Rendered from the approved revisions only, never from the page cache."""
        with page_cache.uncached():
            return self.render_uncached(page)

    def render_uncached(self, page):
        if page.is_error("404"):
            handler = get_resolver().resolve_error_handler(404)
            with translation.override(page.language):
                response = handler(self.request("/404/"), None)
            expected = 404
        elif page.is_error("503"):
            with translation.override(page.language):
                response = outage_response()
            expected = 503
        else:
            response = self.handler.get_response(self.request(page.url))
            expected = 200
            if response.status_code == 404:
                return None
        if response.status_code != expected:
            raise PublishError(
                f"{page.url} could not be rendered (it answered {response.status_code}"
                f", not {expected})."
            )
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
        return body, parse_http_date_safe(response.get("Last-Modified", ""))


# Building ----------------------------------------------------------------------------


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_atomically(path, data, mtime=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    temporary.write_bytes(data)
    if mtime is not None:
        os.utime(temporary, (mtime, mtime))
    os.replace(temporary, path)


def link_or_copy(source, target):
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def file_names(entry):
    return [entry["file"], *(entry["file"] + suffix for suffix in COPIES)]


@contextmanager
def locked(root):
    """One build at a time per publish directory (two approvals commit at once)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def current_build(root):
    link = root / "current"
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def read_manifest(build):
    if build is None or not (build / "manifest.json").exists():
        return {}
    return json.loads((build / "manifest.json").read_text())["pages"]


def switch(root, build):
    """Point `current` at the new build in one rename."""
    temporary = root / f".current-{uuid.uuid4().hex}"
    os.symlink(build.relative_to(root), temporary)
    os.replace(temporary, root / "current")


def prune(root):
    builds = sorted(
        (p for p in (root / "builds").iterdir() if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
    )
    keep = {current_build(root)}
    for old in builds[:-BUILDS_KEPT]:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)


def new_build_dir(root):
    build = (
        root
        / "builds"
        / f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    )
    build.mkdir(parents=True)
    return build


@dataclass
class Outcome:
    rendered: list  # urls rendered now
    kept: list  # urls linked from the previous build
    build: Path

    def summary(self):
        return (
            f"{len(self.rendered)} pages rendered, {len(self.kept)} kept "
            f"from the previous build: {self.build.name}"
        )


def publish(kinds=ALL_KINDS, progress=None, fresh=False):
    """Build the published files again; only pages showing `kinds` are rendered.
    `fresh`: every file written anew, none linked from the previous build (a repair
    after `check()` found one changed by hand).

    Everything happens in a new build directory; `current` moves to it only when
    every page rendered. On any failure the published files stay as they were, the
    failure is recorded and PublishError is raised.
    """
    root = publish_dir()
    with locked(root):
        previous = current_build(root)
        old = read_manifest(previous)
        if not old or (root / FAILURE_FILE).exists():
            # Nothing to keep, or pages a failed build left stale: build everything.
            kinds = ALL_KINDS
        build = new_build_dir(root)
        outcome = Outcome([], [], build)
        try:
            manifest = {}
            renderer = Renderer()
            for page in site_files():
                before = old.get(page.url)
                reuse = not fresh and before is not None and before["file"] == page.file
                if reuse and kinds is not ALL_KINDS and not set(page.kinds) & kinds:
                    for name in file_names(before):
                        link_or_copy(previous / name, build / name)
                    manifest[page.url] = before
                    outcome.kept.append(page.url)
                    continue
                rendered = renderer.render(page)
                if rendered is None:
                    continue
                body, last_modified = rendered
                entry = {"file": page.file, "kinds": list(page.kinds)}
                entry["sha256"] = sha256(body)
                if reuse and before["sha256"] == entry["sha256"]:
                    # Unchanged: the same file, so the same Last-Modified and ETag.
                    for name in file_names(before):
                        link_or_copy(previous / name, build / name)
                else:
                    mtime = last_modified or time.time()
                    write_atomically(build / page.file, body, mtime)
                    for suffix, compress in COPIES.items():
                        write_atomically(
                            build / (page.file + suffix), compress(body), mtime
                        )
                manifest[page.url] = entry
                outcome.rendered.append(page.url)
                if progress:
                    progress(f"{page.url} -> {page.file} ({len(body)} bytes)")
            write_atomically(
                build / "manifest.json",
                json.dumps({"pages": manifest}, indent=1, sort_keys=True).encode(),
            )
            switch(root, build)
        except Exception as error:
            shutil.rmtree(build, ignore_errors=True)
            message = (
                str(error)
                if isinstance(error, PublishError)
                else f"{type(error).__name__}: {error}"
            )
            (root / FAILURE_FILE).write_text(message + "\n")
            logger.error(
                "Publishing failed, the published files are unchanged: %s", message
            )
            raise PublishError(message) from error
        (root / FAILURE_FILE).unlink(missing_ok=True)
        prune(root)
        # Still under the build lock: the mirrors get the builds in the order they
        # were made (a slow copy could otherwise switch a mirror back to an older
        # build after a newer one).
        for mirror in settings.PUBLISH_MIRRORS:
            try:
                push(build, Path(mirror))
            except OSError as error:
                message = f"Published here, but not copied to {mirror}: {error}"
                (root / FAILURE_FILE).write_text(message + "\n")
                logger.error(message)
                raise PublishError(message) from error
    return outcome


def push(build, mirror_root):
    """Copy a build to another publish directory (another edge) and switch it there."""
    with locked(mirror_root):
        target = mirror_root / "builds" / build.name
        if not target.exists():
            temporary = target.with_name(f".{build.name}.tmp")
            shutil.rmtree(temporary, ignore_errors=True)
            shutil.copytree(build, temporary)  # copy2: mtimes, so ETags, travel too
            os.replace(temporary, target)
        switch(mirror_root, target)
        prune(mirror_root)


def failure():
    """The last failed build's message, or None: shown to reviewers and by --check."""
    if not enabled():
        return None
    path = publish_dir() / FAILURE_FILE
    return path.read_text().strip() if path.exists() else None


# After an approval ---------------------------------------------------------------------

_pending = threading.local()


def rebuild_after_commit(kind):
    """Rebuild the pages showing `kind`, in the background, once the transaction
    commits: the approving request does not wait for it.

    Approvals in one transaction (an import approving many records) queue one build,
    and builds queued together are made as one (`rebuild_published_files`). A failed
    build is recorded and shown; the approval itself stands, and the page cache
    serves the new content from Django meanwhile.
    """
    if not enabled() or kind is None:
        return
    if getattr(_pending, "kinds", None) is None:
        _pending.kinds = set()
    _pending.kinds.add(kind)
    # robust: whatever goes wrong is logged, and the approval stands.
    transaction.on_commit(_queue_pending, robust=True)


def _queue_pending():
    kinds, _pending.kinds = getattr(_pending, "kinds", None), None
    if kinds:  # else an earlier callback of the same commit queued them
        rebuild_published_files.enqueue(sorted(kinds))


@task(queue_name="editorial", takes_context=True)
def rebuild_published_files(context, kinds):
    """Build the pages showing `kinds` (None: every page), with those of every other
    rebuild queued meanwhile: one build for approvals that land together."""
    wanted = None if kinds is None else set(kinds)
    for taken in background.take_queued(rebuild_published_files, context):
        (other,) = taken["args"]
        wanted = None if wanted is None or other is None else wanted | set(other)
    return publish(wanted).summary()


def publishing():
    """Whether a build is queued or running: the published files are behind."""
    return enabled() and background.waiting(rebuild_published_files).exists()


# Checking ----------------------------------------------------------------------------


def check():
    """Differences between the published files and what approved content renders to.

    In the publish directory and in every mirror: each file must match the manifest
    hash (its .gz and .br copies must unpack to it), and nothing else may be there,
    no symbolic link, no folder without a published file, whatever its name. Each
    mirror must serve the same build. And each page must render, now, to the bytes
    the manifest holds.
    """
    root = publish_dir()
    build = current_build(root)
    if build is None:
        return [f"Nothing is published in {root}."]
    problems = []
    if recorded := failure():
        problems.append(f"The last build failed: {recorded}")
    manifest = read_manifest(build)
    problems += file_problems(build, manifest)
    for mirror in settings.PUBLISH_MIRRORS:
        problems += [f"{mirror}: {p}" for p in mirror_problems(Path(mirror), build)]
    renderer = Renderer()
    pages = site_files()
    for page in pages:
        entry = manifest.get(page.url)
        try:
            rendered = renderer.render(page)
        except PublishError as error:
            problems.append(str(error))
            continue
        if rendered is None:
            if entry is not None:
                problems.append(f"{page.url} is published but no longer approved.")
            continue
        if entry is None:
            problems.append(f"{page.url} is approved but not published.")
            continue
        body, _ = rendered
        if sha256(body) != entry["sha256"]:
            problems.append(f"{page.url}: the published file is not the approved page.")
    for url in set(manifest) - {page.url for page in pages}:
        problems.append(f"{url} is published but no longer approved.")
    return problems


def mirror_problems(mirror_root, build):
    """A mirror serves the publish directory's build, file for file."""
    mirrored = current_build(mirror_root)
    if mirrored is None:
        return ["nothing is published here."]
    problems = []
    if mirrored.name != build.name:
        problems.append(f"it serves build {mirrored.name}, not {build.name}.")
    manifest = read_manifest(build)
    if read_manifest(mirrored) != manifest:
        problems.append("its manifest.json is not the published one.")
    return problems + file_problems(mirrored, manifest)


def file_problems(build, manifest):
    """Each file the manifest lists is there with its hash, and nothing else is: a
    symbolic link, an unlisted file or a folder with nothing published in it (nginx
    would serve what it holds) is reported, dot-names included."""
    problems = []
    listed = {"manifest.json"}
    for url, entry in manifest.items():
        listed.update(file_names(entry))
        path = build / entry["file"]
        if path.is_symlink():
            continue  # reported below
        if not path.is_file():
            problems.append(f"{url}: {entry['file']} is missing.")
            continue
        body = path.read_bytes()
        if sha256(body) != entry["sha256"]:
            problems.append(f"{url}: {entry['file']} differs from the manifest.")
        for suffix, unpack in ((".gz", gzip.decompress), (".br", brotli.decompress)):
            copy = build / (entry["file"] + suffix)
            try:
                same = (
                    not copy.is_symlink()
                    and sha256(unpack(copy.read_bytes())) == entry["sha256"]
                )
            except (OSError, ValueError, brotli.error):
                same = False
            if not same:
                problems.append(f"{url}: {entry['file']}{suffix} does not match.")
    folders = {
        parent.as_posix() for name in listed for parent in Path(name).parents
    } - {"."}
    unexpected = []
    # Every entry, without following links (os.walk lists a link to a folder
    # among the folders and does not enter it).
    for top, dirs, files in os.walk(build):
        for name in dirs + files:
            path = Path(top) / name
            relative = path.relative_to(build).as_posix()
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                unexpected.append(
                    f"{relative} is a symbolic link, not a published file."
                )
            elif stat.S_ISDIR(mode):
                if relative not in folders:
                    unexpected.append(
                        f"{relative}/ is a folder with nothing published in it."
                    )
            elif not stat.S_ISREG(mode):
                unexpected.append(f"{relative} is not a regular file.")
            elif relative not in listed:
                unexpected.append(f"{relative} is published but not in the manifest.")
    return problems + sorted(unexpected)


@task(queue_name="editorial")
def check_published_files():
    """Hourly: the published files against the approved content. A difference is
    repaired by a fresh build, and fails the run so that reviewers see it."""
    if not enabled():
        return "Nothing is published here (NETGUIDE_PUBLISH_DIR is not set)."
    if publishing():
        return "A build is queued or running: checked at the next run."
    problems = check()
    if problems:
        publish(fresh=True)
        raise PublishError(
            f"{len(problems)} difference(s) between the published files and the "
            "approved content, repaired by a fresh build. " + " ".join(problems[:5])
        )
    return "The published files match the approved content."

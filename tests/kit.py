"""The tests' kit: one way to make people and content, to take a record through
review, to build the published site, to read HTML, to drive a page in a browser and
to list the public addresses. Fixtures built on it are in conftest.py; the servers
tests start (gunicorn, nginx, proxies) are in servers.py."""

import atexit
import functools
import html as html_lib
import os
import re
import shutil
import tempfile
import tomllib
import uuid
from contextlib import contextmanager
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils.translation import get_language_from_path, override
from playwright.sync_api import expect

from appointments.models import AppointmentRequest
from editorial.models import ReviewState
from treatments.glossary import Term
from treatments.management.commands.load_demo import Command as LoadDemo
from treatments.models import (
    Drug,
    GlossaryTerm,
    Procedure,
    Question,
    ReviewerProfile,
    SideEffect,
    SituationQuestions,
    Source,
    Treatment,
    content_types,
)

CONTENT_DIR = Path(settings.CONTENT_DIR)
PASSWORD = "pw-for-tests"


def content_treatments():
    """(slug, title) of every treatment in content/treatments/, in their order."""
    found = []
    for path in (CONTENT_DIR / "treatments").glob("*.md"):
        fields = tomllib.loads(path.read_text(encoding="utf-8").split("+++")[1])
        found.append((fields["order"], fields["slug"], fields["title"]))
    return [(slug, title) for _, slug, title in sorted(found)]


TREATMENT_SLUGS = [slug for slug, _ in content_treatments()]


# People ------------------------------------------------------------------------------


def make_user(username, group=None, **extra):
    """A staff account (unless is_staff=False), in `group` if named."""
    extra.setdefault("is_staff", True)
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.invalid",
        **extra,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def make_dual_role(username="dual"):
    """Someone who is both an editor and a medical reviewer."""
    user = make_user(username, "Editors")
    user.groups.add(Group.objects.get(name="Medical reviewers"))
    return user


def make_reviewer_profile(user, **fields):
    """A reviewer's profile as patients see it: published, as if signed off before.
    Unless told otherwise, the reviewer reads every language of the site."""
    fields.setdefault("languages", [code for code, _name in settings.LANGUAGES])
    profile = ReviewerProfile.objects.create(user=user, **fields)
    profile.save_revision(None)
    profile.live_revision = profile.latest_revision
    profile.review_state = ReviewState.APPROVED
    profile.save_review_fields()
    return profile


# The cast: one editor, one reviewer and one superuser, created the first time a test
# (or the published site) asks for them, so that a test and its site share the people.


def the_editor():
    users = get_user_model()
    return users.objects.filter(username="editor").first() or make_user(
        "editor", "Editors", first_name="Test", last_name="Editor"
    )


def the_reviewer():
    reviewer = get_user_model().objects.filter(username="reviewer").first()
    if reviewer is None:
        reviewer = make_user("reviewer", "Medical reviewers")
        make_reviewer_profile(
            user=reviewer,
            display_name="Test Reviewer",
            credentials="MD",
            title="Medical reviewer",
            specialties=["medical-oncology"],
        )
    return reviewer


def the_superuser():
    users = get_user_model()
    return users.objects.filter(
        username="root"
    ).first() or users.objects.create_superuser(
        username="root", password=PASSWORD, email="root@example.invalid"
    )


# Content -----------------------------------------------------------------------------

PLAIN_BODY = "Your care team checks on the tumor.\n\nYou get a scan now and then."
# Why a text above the reading level goes to review anyway (the reviewer sees it).
REASON = "Medical words are needed here (test)."


def make_treatment(
    user, slug="watchful-waiting", title="Watchful waiting", body=PLAIN_BODY, **fields
):
    """A small treatment page with one question, saved as revision 1 by user."""
    fields.setdefault(
        "key_points", ["It is a plan to watch the tumor.", "It uses scans."]
    )
    treatment = Treatment.objects.create(
        slug=slug,
        title=title,
        summary="A plan to keep an eye on a slow tumor.",
        body=body,
        **fields,
    )
    Question.objects.create(treatment=treatment, text="How often will I get a scan?")
    treatment.save_revision(user)
    return treatment


def make_published(editor, reviewer, **fields):
    record = make_treatment(editor, **fields)
    submit(record, editor)
    approve(record, reviewer)
    return record


SLOW_FIT = {
    "when": ["grade=low"],
    "unless": [],
    "reason": "It may be a choice for a slow tumor.",
}


def make_explorer_questions(editor):
    """The explorer questions of content/questions.toml, as a draft in `editor`'s
    name: what fit rules are checked against."""
    data = tomllib.loads((CONTENT_DIR / "questions.toml").read_text(encoding="utf-8"))
    record = SituationQuestions.objects.create(
        language="en",
        questions=data["questions"],
        contradictions=data["contradictions"],
    )
    record.save_revision(editor)
    return record


def make_full_treatment(editor):
    """A treatment page with every structured part, so the admin posts every inline."""
    record = make_treatment(editor, fits=[SLOW_FIT])
    record.drugs.add(
        Drug.objects.create(
            slug="octreotide", brand_name="Sandostatin", generic_name="octreotide"
        )
    )
    Procedure.objects.create(
        treatment=record,
        name="Regular scans",
        description="A scan every year.",
        fits=[SLOW_FIT],
    )
    record.save_revision(editor)
    return record


def make_published_full(editor, reviewer):
    record = make_full_treatment(editor)
    submit(record, editor)
    approve(record, reviewer)
    return record


def make_side_effect(editor, slug, name, description):
    effect = SideEffect.objects.create(slug=slug, name=name, description=description)
    effect.save_revision(editor)
    return effect


def make_term(slug, term, also=(), definition="A plain meaning."):
    """A glossary term as the linker reads it (not saved)."""
    return Term.from_snapshot(
        {
            "slug": slug,
            "term": term,
            "also_matches": list(also),
            "definition": definition,
        }
    )


def make_draft_term(editor, slug, term, also=(), definition="A plain meaning."):
    record = GlossaryTerm.objects.create(
        slug=slug, term=term, also_matches=list(also), definition=definition
    )
    record.save_revision(editor)
    return record


def make_request(**fields):
    """An appointment request as the form saves it."""
    values = {
        "name": "Ada Example",
        "phone": "+15552345678",
        "requester": "patient",
        "consent": True,
        "submission_token": uuid.uuid4().hex,
        **fields,
    }
    return AppointmentRequest.objects.create(**values)


# The review workflow, as the model's steps ---------------------------------------------


def edit(record, user, **changes):
    """Change fields the way the admin does: save, then snapshot a revision."""
    for name, value in changes.items():
        setattr(record, name, value)
    record.save()
    return record.save_revision(user)


def submit(record, user, summary="First version of this page.", reason=""):
    return record.submit(user, summary, reason)


def approve(record, user, note=""):
    """Approve the latest revision, as the reviewer read it."""
    return record.approve(user, record.latest_revision.content_hash, note)


def publish(record, editor, reviewer, **changes):
    """The whole workflow: the editor changes and submits, the reviewer approves."""
    edit(record, editor, **changes)
    submit(record, editor, "A test change.", REASON)
    return approve(record, reviewer)


def publish_scheduled(*args):
    """Run the publish_scheduled command; what it said."""
    out = StringIO()
    call_command("publish_scheduled", *args, stdout=out)
    return out.getvalue()


# Background work -------------------------------------------------------------------


def run_tasks():
    """Run the queued background tasks that are due, as `manage.py worker` does (the
    worker's own run_task), until none is left: the rows run, in order."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )
    ran = []
    while (row := DBTaskResult.objects.ready().first()) is not None:
        row.claim(worker.worker_id)
        worker.run_task(row)
        row.refresh_from_db()
        ran.append(row)
    return ran


def queued_tasks():
    """The names of the tasks queued (ready or later), in the order they would run."""
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return [
        row.task_name
        for row in DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    ]


# The published site ----------------------------------------------------------------


def import_content(user=None, directory=CONTENT_DIR, **options):
    """content/ (or `directory`) imported in `user`'s name (the editor's by default);
    the command's output."""
    out = StringIO()
    call_command(
        "import_content",
        str(directory),
        username=(user or the_editor()).username,
        stdout=out,
        **{"verbosity": 0, **options},
    )
    return out.getvalue()


def publish_site():
    """content/ imported, submitted by the editor and approved by the reviewer:
    (editor, reviewer).

    In one transaction: in tests that commit (a live server), one commit instead of
    hundreds saves about a second on PostgreSQL."""
    with transaction.atomic():
        editor, reviewer = the_editor(), the_reviewer()
        import_content(editor)
        LoadDemo().publish_drafts(editor, reviewer)
    return editor, reviewer


# Through the admin, with the test client --------------------------------------------


def logged_in(user, **client_options):
    """A test client logged in as `user`."""
    client = Client(**client_options)
    client.force_login(user)
    return client


def admin_url(record, view, *args):
    """The address of one of the admin's screens for `record` (change, review...)."""
    meta = record._meta
    return reverse(
        f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[record.pk, *args]
    )


def open_change_form(client, treatment):
    """A treatment's change form, its values as the editor's browser would post them."""
    response = client.get(admin_url(treatment, "change"))
    assert response.status_code == 200
    data = form_values(response.content.decode(), "treatment_form")
    assert data["base_revision"] and "questions-TOTAL_FORMS" in data
    return data


def save_change_form(client, record, data, **changes):
    return client.post(
        admin_url(record, "change"), {**data, **changes, "_save": "Save"}, follow=True
    )


def decide(client, record, content_hash, decision="approve", note=""):
    """The reviewer's decision on the review screen."""
    return client.post(
        admin_url(record, "review"),
        {"content_hash": content_hash, "note": note, "decision": decision},
        follow=True,
    )


def public_html(client, record):
    """The public page of a treatment, as patients get it."""
    response = client.get(reverse("treatments:treatment", args=[record.slug]))
    assert response.status_code == 200
    return response.content.decode()


# The appointment form ----------------------------------------------------------------

FORM_URL = "/appointments/request/"
SENT_URL = "/appointments/request/sent/"
ADMIN_LIST = "/admin/appointments/appointmentrequest/"  # the team's queue

# What a patient types: distinctive values, so that a leak anywhere is easy to spot.
PATIENT = {
    "name": "Zebulon Quaxworth",
    "phone": "555-234-5678",
    "email": "zebulon.quaxworth@example.org",
    "requester": "family",
    "best_time": "morning",
    "message": "Please call after the school run, ask for Zebulon.",
    "consent": "on",
}
PHONE_DIGITS = "5552345678"


def someone(number):
    """Another person sharing the Wi-Fi: their own name and phone number."""
    return {**PATIENT, "name": f"Person {number}", "phone": f"555-300-{number:04d}"}


def open_form(client, path=FORM_URL, **extra):
    """GET the form; returns (response, csrf token, submission token) read from the page."""
    response = client.get(path, **extra)
    assert response.status_code == 200
    page = parse_response(response)
    csrf = page.find("input", name="csrfmiddlewaretoken").attrs["value"]
    token = page.find("input", name="submission_token").attrs["value"]
    assert csrf and token
    return response, csrf, token


def post_form(client, data, csrf, token, **extra):
    return client.post(
        FORM_URL,
        {"csrfmiddlewaretoken": csrf, "submission_token": token, **data},
        **extra,
    )


def request_appointment(client, data=None, path=FORM_URL, **extra):
    """What a browser does: load the form, then send it with the tokens it carried."""
    _, csrf, token = open_form(client, path, **extra)
    return post_form(client, PATIENT if data is None else data, csrf, token, **extra)


def leaked_values(text):
    """The submitted values found in `text`, the phone number in any format."""
    found = [
        value
        for value in (
            PATIENT["name"],
            "Zebulon",
            "Quaxworth",
            PATIENT["email"],
            PATIENT["message"],
        )
        if value.lower() in text.lower()
    ]
    if (
        PHONE_DIGITS in re.sub(r"\D", "", text)
        or "234-5678" in text
        or "2345678" in text
    ):
        found.append("phone")
    return found


# Reading HTML ------------------------------------------------------------------------
#
# One parser for every test: the page as a tree of elements, which also notes where
# the markup is not well formed (what a browser forgives but we do not).

VOID = set("area base br col embed hr img input link meta source track wbr".split())


class Element:
    def __init__(self, tag, attrs, parent=None, document=None, line=1):
        self.tag, self.parent, self.children, self.line = tag, parent, [], line
        # As written, repeats included (a browser keeps the first of a repeat).
        self.raw_attrs = attrs
        # A bare attribute (<input required>) reads as "", as in the DOM.
        self.attrs = {name: value or "" for name, value in attrs}
        # Every element of the document in document order; this element and those
        # under it are document[start:end] (end is set when the element closes).
        self.document = document if document is not None else []
        self.start = len(self.document)
        self.end = None
        self.document.append(self)

    def iter(self):
        """This element and every element under it, in document order."""
        return self.document[self.start : self.end]

    def find_all(self, tag=None, **attrs):
        """Elements with this tag and these attributes; class_ matches one class."""
        wanted_class = attrs.pop("class_", None)
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and (wanted_class is None or e.has_class(wanted_class))
            and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def find(self, tag=None, **attrs):
        """The first such element; the test fails when there is none."""
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'} {attrs}> in the page"
        return found[0]

    def by_id(self, element_id):
        return [e for e in self.iter() if e.attrs.get("id") == element_id]

    def has_class(self, name):
        return name in self.attrs.get("class", "").split()

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent

    @property
    def text(self):
        """The visible words, whitespace collapsed as a browser does."""
        return " ".join(self.raw_text().split())

    def raw_text(self):
        if self.tag in {"script", "style", "head"}:
            return " "
        return "".join(
            c.raw_text() if isinstance(c, Element) else c for c in self.children
        )

    @property
    def content(self):
        """Every character under this element as written, scripts' and styles' too."""
        return "".join(
            c.content if isinstance(c, Element) else c for c in self.children
        )

    def text_nodes(self):
        """(text, element holding it) in document order."""
        for child in self.children:
            if isinstance(child, Element):
                yield from child.text_nodes()
            else:
                yield child, self


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = Element("#document", [])
        self.problems = []

    def element(self, tag, attrs):
        element = Element(
            tag, attrs, self.current, self.root.document, self.getpos()[0]
        )
        self.current.children.append(element)
        return element

    def handle_starttag(self, tag, attrs):
        element = self.element(tag, attrs)
        if tag in VOID:
            element.end = element.start + 1
        else:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        if tag not in VOID:
            self.problems.append(
                f"line {self.getpos()[0]}: <{tag}/> is not a void element"
            )
        element = self.element(tag, attrs)
        element.end = element.start + 1

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID:
            self.problems.append(f"line {line}: </{tag}> closes a void element")
            return
        if self.current is self.root:
            self.problems.append(f"line {line}: </{tag}> with nothing open")
            return
        if self.current.tag != tag:
            self.problems.append(
                f"line {line}: </{tag}> closes <{self.current.tag}> opened on line "
                f"{self.current.line}"
            )
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            # Closes it and every element left open inside it.
            closing = self.current
            while closing is not node.parent:
                closing.end = len(self.root.document)
                closing = closing.parent
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse_html(html):
    """The document's tree; its `problems` say where the markup is not well formed."""
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    root = builder.root
    root.problems = builder.problems
    for element in root.document:
        if element.end is None:  # never closed: it runs to the end of the document
            element.end = len(root.document)
            if element is not root:
                root.problems.append(
                    f"<{element.tag}> opened on line {element.line} is never closed"
                )
    return root


def parse_response(response):
    """The tree of a test client response's HTML."""
    return parse_html(response.content.decode())


def form_values(html, form_id=None):
    """What a browser would post from the form with this id (no form_id: the forms
    without one) before anyone types: {name: value or [values]} for Client.post."""
    values = []
    for form in parse_html(html).find_all("form"):
        if form.attrs.get("id") != form_id:
            continue
        for field in form.iter():
            name = field.attrs.get("name", "")
            if not name or "__prefix__" in name:  # the inlines' "Add another" rows
                continue
            values += field_values(field, name)
    data = {}
    for name, value in values:
        if name in data:
            data[name] = (
                [*data[name], value]
                if isinstance(data[name], list)
                else [data[name], value]
            )
        else:
            data[name] = value
    return data


def form_target(html, form_id):
    """(method, action) of the form with this id, as a browser reads them."""
    attrs = parse_html(html).find("form", id=form_id).attrs
    return (attrs.get("method") or "get").lower(), attrs.get("action") or ""


def field_values(field, name):
    """(name, value) that one form field posts."""
    if field.tag == "input":
        kind = field.attrs.get("type", "text")
        if kind in {"checkbox", "radio"}:
            if "checked" in field.attrs:
                return [(name, field.attrs.get("value") or "on")]
        elif kind not in {"submit", "button", "reset", "image", "file"}:
            return [(name, field.attrs.get("value", ""))]
    elif field.tag == "textarea":
        return [(name, field.content.removeprefix("\r\n").removeprefix("\n"))]
    elif field.tag == "select":
        options = [option.attrs.get("value", "") for option in field.find_all("option")]
        chosen = [
            option.attrs.get("value", "")
            for option in field.find_all("option")
            if "selected" in option.attrs
        ]
        if not chosen and "multiple" not in field.attrs and options:
            chosen = options[:1]
        return [(name, value) for value in chosen]
    return []


def csrf_token(html):
    """The CSRF token of the page's first form."""
    return parse_html(html).find("input", name="csrfmiddlewaretoken").attrs["value"]


# A page in the browser ------------------------------------------------------------

SCREENSHOT_DIR = Path(settings.BASE_DIR) / "docs" / "screenshots"
# For people to look at, written only when asked (NETGUIDE_SCREENSHOTS=1), so that
# a test run leaves the repository as it found it.
TAKE_SCREENSHOTS = os.environ.get("NETGUIDE_SCREENSHOTS", "") not in ("", "0")


@contextmanager
def browser_page(browser, viewport=None, **options):
    """A page in a context of its own (`viewport`, default 1280 x 800; cookies and
    storage its own, as a new visitor's), closed afterwards whatever happens."""
    context = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 800}, **options
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def save_screenshot(page, name, **options):
    """docs/screenshots/<name> of the page, when screenshots are asked for."""
    if TAKE_SCREENSHOTS:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT_DIR / name), **options)


def look_at(page, name, axe_script, selector="#content", full_page=True):
    """Screenshots docs/screenshots/<name>-desktop.png and -mobile.png (at 1280 and
    375 px) and axe at both widths on `selector` (the admin's own filters and lists
    around it are Django's); back at 1280 px after. Returns the violations."""
    problems = []
    for width, suffix in ((1280, "desktop"), (375, "mobile")):
        page.set_viewport_size({"width": width, "height": 900 if full_page else 700})
        problems += [
            f"{name} at {width}: {v}"
            for v in axe_violations(page, axe_script, selector)
        ]
        save_screenshot(page, f"{name}-{suffix}.png", full_page=full_page)
    page.set_viewport_size({"width": 1280, "height": 900})
    return problems


def log_in(page, base, username, next_path="/admin/"):
    """Log in through the admin's login page, landing on `next_path`."""
    page.context.clear_cookies()
    page.goto(f"{base}{reverse('admin:login')}?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    expect(page).to_have_url(
        re.compile("^" + re.escape(base + next_path.split("?")[0]))
    )


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Only violations are needed; leaving out passes and incomplete results halves the
# time axe takes.
AXE_RUN = """([selector, tags]) => axe.run(selector || document, {
  runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
})"""


def axe_violations(page, axe_script, selector=None):
    """axe-core's WCAG 2.0-2.2 A and AA violations on the page (or on `selector`
    only), one line each. axe is injected with page.evaluate: a <script> tag would be
    blocked by the site's Content Security Policy."""
    page.evaluate(axe_script)
    result = page.evaluate(AXE_RUN, [selector, AXE_TAGS])
    return [
        f"{v['id']} ({v['impact']}, {len(v['nodes'])} node(s)): {v['help']} -> "
        + ", ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


# The public pages -----------------------------------------------------------------

# Query strings that make a public page show more than its empty form.
PUBLIC_QUERY_VARIANTS = {
    "treatments:search": ["?q=surgery", "?q=nausea+octreotide"],
    "treatments:explore": [
        "?origin=gi&grade=low&hormones=yes&symptoms=yes&extent=spread&liver=yes&removal=no"
    ],
    "treatments:my-questions": ["?t=surgery&t=prrt"],
}
# The same in the Spanish edition (its slugs and words).
PUBLIC_QUERY_VARIANTS_ES = {
    "treatments:search": ["?q=cirugia", "?q=nauseas+octreotida"],
    "treatments:explore": PUBLIC_QUERY_VARIANTS["treatments:explore"],
    "treatments:my-questions": ["?t=cirugia&t=prrt"],
}
# The sitemap lists every language; crawlers read robots.txt at the root only.
ONE_ADDRESS_FOR_ALL = ("treatments:sitemap", "treatments:robots")


def public_routes():
    """(route name, has arguments) of every view marked @public_page, in the order
    of the URL configuration."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = (
                    f"{namespace}{pattern.namespace}:"
                    if pattern.namespace
                    else namespace
                )
                walk(pattern.url_patterns, inner)
            elif (
                isinstance(pattern, URLPattern)
                and getattr(pattern.callback, "page_cache_kinds", None) is not None
            ):
                found.append(
                    (f"{namespace}{pattern.name}", bool(pattern.pattern.converters))
                )

    walk(get_resolver().url_patterns, "")
    return found


def record_addresses(language):
    """{route name: [address]} of the published records of every content type in
    `language`, each at the address it gives itself (get_absolute_url)."""
    found = {}
    with override(language):
        for model in content_types():
            records = model.objects.in_language(language).published()
            for record in records.select_related("live_revision"):
                url = record.get_absolute_url()
                route = resolve(urlsplit(url).path).view_name
                found.setdefault(route, []).append(url)
    return found


def public_urls(with_queries=True, languages=("en", "es")):
    """Every public page address in each language: each @public_page route, and for
    the routes that take an argument, each published record that lives there."""
    urls = []
    for language in languages:
        variants = (
            PUBLIC_QUERY_VARIANTS_ES if language == "es" else PUBLIC_QUERY_VARIANTS
        )
        records = record_addresses(language)
        with override(language):
            for name, has_arguments in public_routes():
                if has_arguments:
                    urls += records.get(name, [])
                elif language == "en" or name not in ONE_ADDRESS_FOR_ALL:
                    url = reverse(name)
                    urls.append(url)
                    if with_queries:
                        urls.extend(url + query for query in variants.get(name, []))
    return urls


def route_of(url):
    """The route (its namespaced name and arguments) that serves a public address,
    read in the language the address is in."""
    with override(get_language_from_path(url) or settings.LANGUAGE_CODE):
        return resolve(urlsplit(url).path)


def public_pages(with_queries=True, languages=("en", "es")):
    """The public addresses that are HTML pages (the sitemap and robots.txt are
    files: their addresses do not end in a slash)."""
    return [
        url
        for url in public_urls(with_queries, languages)
        if urlsplit(url).path.endswith("/")
    ]


# What several test modules share ------------------------------------------------


@functools.cache
def sources_only():
    """A content folder holding content/'s sources and the one treatment a folder
    needs (the first)."""
    folder = Path(tempfile.mkdtemp(prefix="netguide-sources-")) / "content"
    shutil.copytree(CONTENT_DIR / "sources", folder / "sources")
    (folder / "treatments").mkdir()
    first = min((CONTENT_DIR / "treatments").glob("*.md"))
    shutil.copy(first, folder / "treatments" / first.name)
    atexit.register(shutil.rmtree, folder.parent, ignore_errors=True)
    return folder


def the_seed(editor, reviewer):
    """The seed source imported from content/ and approved (its import alone: a
    whole import of content/ costs seconds)."""
    import_content(editor, directory=sources_only())
    seed = Source.objects.get(slug="seed")
    submit(seed, editor)
    approve(seed, reviewer)
    return seed


# A body far above the reading level the desk asks for.
HARD_BODY = "\n\n".join(
    [
        "Multidisciplinary gastroenterological consultations characteristically "
        "necessitate comprehensive endoscopic ultrasonographic examinations alongside "
        "immunohistochemical characterization of neuroendocrine proliferation indices."
    ]
    * 3
)


# Search ---------------------------------------------------------------------------


def search_page(client, query=None, raw=None):
    """The search page for a query (encoded here) or a raw query string."""
    url = "/search/?" + (raw if raw is not None else "q=" + quote(query, safe=""))
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def results(html):
    """(url, kind, snippet HTML) of each result, in order."""
    lists = re.findall(r'<ol class="search-results">(.*?)</ol>', html, re.S)
    if not lists:
        return []
    return [
        (html_lib.unescape(url), kind, snippet)
        for url, kind, snippet in re.findall(
            r'<h2><a href="([^"]*)">.*?</a></h2>\s*<p class="result-kind">(.*?)</p>\s*<p>(.*?)</p>',
            lists[0],
            re.S,
        )
    ]


def urls(html):
    return [url for url, _, _ in results(html)]


# Pages in the browser ---------------------------------------------------------------

# A summary for the appointment as full as a patient may make it.
SIX_OPTIONS_TEN_QUESTIONS = (
    "/my-summary/?origin=gi&symptoms=yes&hormones=yes&extent=spread&liver=yes"
    "&t=surgery&t=chemotherapy&t=hormone-therapy&t=radiation-therapy"
    "&t=interventional-radiology&t=gastroenterology"
    "&m-no-operation=a-lot&m-short-stay=some&m-ease-symptoms=a-lot"
    "&m-slow-tumor=a-lot&m-fewer-side-effects=some&m-research=not-much"
    "&stage=thinking&with=care-team&with=family&lean=none"
    "&q=surgery:1&q=surgery:2&q=chemotherapy:1&q=chemotherapy:4"
    "&q=hormone-therapy:1&q=radiation-therapy:1&q=interventional-radiology:1"
    "&q=gastroenterology:1"
    "&own=Can+I+keep+working+during+treatment%3F%0D%0AWho+do+I+call+at+night%3F"
    "&show=1"
)
# The page's width past the screen's, in a browser: None when nothing overflows.
HORIZONTAL_OVERFLOW = (
    "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    " ? document.documentElement.scrollWidth : null"
)

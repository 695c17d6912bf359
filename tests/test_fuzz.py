"""Fuzzing through the full middleware stack: whatever arrives, the answer is never a 500.

Hypothesis draws paths, query strings, form posts and raw bodies; the test client
raises any unhandled exception (what would be a 500) as a test failure. About 300
examples in all; no example database is written (database=None).
"""

import urllib.parse

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

ALLOWED = {200, 301, 302, 304, 400, 403, 404, 405, 410, 413, 429}


def fuzz(examples):
    return hypothesis_settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
        ],
    )


def check(response, what):
    assert response.status_code in ALLOWED, f"{what} -> {response.status_code}"
    return response


# Strategies ------------------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
encoded_bytes = st.binary(max_size=16).map(lambda raw: urllib.parse.quote(raw, safe=""))
known = st.sampled_from(
    [
        "..",
        ".",
        "%00",
        "%2e%2e",
        "%2f",
        "%5c",
        "%ff%fe",
        "%c0%af",
        "%",
        "%%",
        "%zz",
        "~",
        "admin",
        "treatments",
        "surgery",
        "side-effects",
        "nausea",
        "search",
        "glossary",
        "explore",
        "my-questions",
        "preview",
        "shared",
        "treatment",
        "1",
        "99999999999999999999",
        "static",
        "css",
        "site.css",
        "..%2f..%2fetc%2fpasswd",
        "healthz",
        "sitemap.xml",
        "robots.txt",
        "favicon.ico",
        "admin-tools",
        "markdownx",
        "markdownify",
        "login",
        "appointments",
        "request",
        "ｓｕｒｇｅｒｙ",
        "تجربة",
        "😀",
        "\u202e",
        "a" * 300,
    ]
)
segment = st.one_of(known, any_text, encoded_bytes)
paths = st.one_of(
    st.lists(segment, max_size=8).map(lambda parts: "/" + "/".join(parts)),
    st.lists(segment, min_size=1, max_size=6).map(
        lambda parts: "/" + "/".join(parts) + "/"
    ),
    st.integers(min_value=1000, max_value=20000).map(
        lambda n: "/treatments/" + "a" * n + "/"
    ),
    st.integers(min_value=100, max_value=2000).map(lambda n: "/" + "../" * n),
    st.sampled_from(
        [
            "//[",
            "//evil.example/",
            "///",
            "//%5B",
            "/\\evil.example",
            "/%2F%2Fevil.example",
            "//admin/",
        ]
    ),
)

field_name = st.one_of(
    st.sampled_from(
        [
            "q",
            "t",
            "origin",
            "grade",
            "hormones",
            "extent",
            "liver",
            "surgery",
            "page",
            "content",
            "username",
            "password",
            "next",
            "csrfmiddlewaretoken",
        ]
    ),
    any_text,
)
field_value = st.one_of(
    any_text,
    encoded_bytes.map(urllib.parse.unquote),
    st.sampled_from(
        [
            "",
            "\x00",
            "surgery",
            "gi",
            "not-sure",
            "yes",
            "../../etc/passwd",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "%s%s%n",
            "\ud7ff",
            "0" * 400,
        ]
    ),
    st.integers(min_value=1000, max_value=300_000).map(lambda n: "x" * n),
)
query_strings = st.one_of(
    st.lists(st.tuples(field_name, field_value), max_size=8).map(
        lambda pairs: urllib.parse.urlencode(pairs, doseq=False)
    ),
    st.lists(
        st.one_of(encoded_bytes, known, st.just("&"), st.just("="), st.just(";")),
        max_size=20,
    ).map("".join),
    st.integers(min_value=2001, max_value=3000).map(
        lambda n: "&".join(f"t={i}" for i in range(n))
    ),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/x-www-form-urlencoded; charset=no-such-charset",
            "multipart/form-data; boundary=BoUnDaRy",
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=\u00e9\u00e9",
            "text/plain",
            "application/json",
            "application/octet-stream",
            "",
        ]
    ),
    any_text,
)


def raw_bodies():
    multipart = st.lists(
        st.tuples(field_name, st.binary(max_size=200)), max_size=5
    ).map(
        lambda parts: (
            b"".join(
                b'--BoUnDaRy\r\nContent-Disposition: form-data; name="'
                + name.encode("utf-8", "replace")
                + b'"\r\n\r\n'
                + value
                + b"\r\n"
                for name, value in parts
            )
            + b"--BoUnDaRy--\r\n"
        )
    )
    return st.one_of(
        st.binary(max_size=2048),
        multipart,
        st.integers(min_value=2001, max_value=2600).map(
            lambda n: b"&".join(b"a%d=1" % i for i in range(n))
        ),
        st.integers(min_value=257 * 1024, max_value=600 * 1024).map(
            lambda n: b"content=" + b"y" * n
        ),
    )


def post_targets():
    targets = [
        "/",
        "/treatments/surgery/",
        "/side-effects/",
        "/side-effects/nausea/",
        "/search/",
        "/explore/",
        "/glossary/",
        "/my-questions/",
        "/medical-and-editorial-policy/",
        reverse("admin:login"),
        settings.MARKDOWNX_URLS_PATH,
    ]
    try:
        targets.append(reverse("appointments:request"))
    except NoReverseMatch:
        pass
    return targets


# Tests -----------------------------------------------------------------------------------


@fuzz(90)
@given(
    path=paths,
    method=st.sampled_from(["GET", "GET", "HEAD", "OPTIONS", "DELETE", "PUT"]),
)
def test_random_paths_never_give_a_server_error(client, site, path, method):
    check(request_raw(client, method, path), f"{method} {path[:200]!r}")


def request_raw(client, method, target):
    """Send a request target as a WSGI server would (gunicorn: percent-decoded bytes as
    latin-1), without the test client's own URL parsing, which rejects e.g. "//["."""
    path, _, query = target.partition("?")
    path_info = urllib.parse.unquote_to_bytes(path).decode("iso-8859-1")
    query_string = query.encode("utf-8", "surrogateescape").decode("iso-8859-1")
    return client.generic(method, "/", PATH_INFO=path_info, QUERY_STRING=query_string)


@fuzz(60)
@given(
    page=st.sampled_from(["/search/", "/explore/", "/my-questions/"]),
    query=query_strings,
)
def test_random_query_strings_never_give_a_server_error(client, site, page, query):
    response = check(
        request_raw(client, "GET", f"{page}?{query}"), f"{page}?{query[:200]!r}"
    )
    if response.status_code == 200:
        assert response["Content-Type"].startswith("text/html")


@fuzz(60)
@given(
    target=st.integers(min_value=0, max_value=20),
    fields=st.lists(st.tuples(field_name, field_value), max_size=6),
    multipart=st.booleans(),
    address=st.ip_addresses(v=4).map(str),
    staff=st.booleans(),
)
def test_random_form_posts_never_give_a_server_error(
    client, site, target, fields, multipart, address, staff
):
    targets = post_targets()
    path = targets[target % len(targets)]
    if staff:
        client.force_login(published_site_user("editor"))
    else:
        client.logout()
    data = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    if multipart:
        response = client.post(path, data, REMOTE_ADDR=address)
    else:
        response = client.post(
            path,
            urllib.parse.urlencode(data, doseq=True),
            content_type="application/x-www-form-urlencoded",
            REMOTE_ADDR=address,
        )
    check(response, f"POST {path} {list(data)[:5]}")


@fuzz(60)
@given(
    target=st.integers(min_value=0, max_value=20),
    body=raw_bodies(),
    content_type=content_types,
    staff=st.booleans(),
    csrf=st.booleans(),
)
def test_random_raw_bodies_never_give_a_server_error(
    site, target, body, content_type, staff, csrf
):
    client = Client(enforce_csrf_checks=csrf)
    if staff:
        client.force_login(published_site_user("editor"))
    targets = post_targets()
    path = targets[target % len(targets)]
    response = client.generic("POST", path, data=body, content_type=content_type)
    check(response, f"POST {path} {content_type!r} {len(body)} bytes")
    if csrf and path != settings.MARKDOWNX_URLS_PATH and response.status_code == 200:
        pytest.fail(f"POST {path} without a CSRF token was accepted")


class UnreadableBody:
    """A request body nobody may read: the size check must answer from the headers."""

    def __init__(self):
        self.reads = 0

    def read(self, *args):
        self.reads += 1
        raise AssertionError("the oversized request body was read")

    readline = read

    def __iter__(self):
        self.read()


@fuzz(30)
@given(
    target=st.integers(min_value=0, max_value=20),
    extra=st.integers(min_value=1, max_value=10**12),
    method=st.sampled_from(["POST", "PUT", "PATCH", "GET"]),
)
def test_oversized_bodies_get_413_without_being_read(
    client, site, target, extra, method
):
    targets = post_targets()
    path = targets[target % len(targets)]
    body = UnreadableBody()
    response = client.generic(
        method,
        path,
        CONTENT_LENGTH=str(settings.MAX_REQUEST_BYTES + extra),
        CONTENT_TYPE="application/x-www-form-urlencoded",
        **{"wsgi.input": body},
    )
    assert response.status_code == 413, f"{method} {path}: {response.status_code}"
    assert body.reads == 0


def test_a_body_exactly_at_the_limit_is_not_refused(client, site):
    body = b"content=" + b"z" * (settings.MAX_REQUEST_BYTES - len(b"content="))
    response = client.generic(
        "POST", "/", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    bad = client.generic(
        "POST", "/", CONTENT_LENGTH="not-a-number", CONTENT_TYPE="text/plain"
    )
    assert bad.status_code == 400


def published_site_user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)

"""Random input to the appointment form: it never crashes, and what it saves is sound.

Hypothesis sends random field dictionaries, random bytes that are not UTF-8, and
plausible requests with random phone numbers. Whatever arrives, the answer is never a
server error, and any request that is saved has a normalised North American phone
number, consent, a short message and a known requester.
"""

import os
import re
import tempfile
import unicodedata
import uuid
from pathlib import Path
from urllib.parse import quote_from_bytes

# Hypothesis keeps caches (Unicode tables, constants) on disk; keep them out of the project.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    str(Path(tempfile.gettempdir()) / "netguide-hypothesis"),
)

import pytest  # noqa: E402
from django.core.cache import cache  # noqa: E402
from hypothesis import HealthCheck, event, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from appointments.models import AppointmentRequest, BestTime, Requester  # noqa: E402

FORM_URL = "/appointments/request/"
FIELDS = [
    "name",
    "phone",
    "email",
    "best_time",
    "requester",
    "treatment",
    "message",
    "consent",
    "website",
    "submission_token",
    "csrfmiddlewaretoken",
]
VALID = {
    "name": "Ada Example",
    "phone": "(555) 234-5678",
    "requester": "patient",
    "best_time": "any",
    "consent": "on",
}
NORMALISED_PHONE = re.compile(r"\+1[2-9][0-9]{9}", re.ASCII)

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    database=None,  # no example database: every run explores afresh
)

# Any text but surrogates: control characters, emoji, other scripts, sometimes long.
any_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.text(st.characters(codec="ascii"), max_size=20),
    st.text(st.characters(exclude_categories=["Cs"]), min_size=400, max_size=3000),
    st.sampled_from(
        ["", " ", "\x00", "\r\n", "😀" * 300, "on", "true", "patient", "any"]
    ),
)
field_values = st.one_of(any_text, st.lists(any_text, min_size=0, max_size=3))
random_forms = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), any_text.filter(lambda k: len(k) < 100)),
    field_values,
    max_size=12,
)


def check_answer(response):
    event(f"status {response.status_code}")
    assert response.status_code < 500, response.status_code
    assert response.status_code in (200, 302, 400, 403, 413, 429), response.status_code


def check_saved(before):
    """Every request saved since `before` (a set of pks) is sound."""
    for item in AppointmentRequest.objects.exclude(pk__in=before):
        assert NORMALISED_PHONE.fullmatch(item.phone), repr(item.phone)
        assert item.consent is True
        assert len(item.message) <= 500
        assert item.requester in Requester.values
        assert item.best_time in BestTime.values
        assert item.name.strip() and len(item.name) <= 100
        assert len(item.submission_token) <= 64


def saved_pks():
    cache.clear()  # each example starts under the hourly limit
    return set(AppointmentRequest.objects.values_list("pk", flat=True))


def new_visitor(client):
    """The client without cookies: each example is a new visitor."""
    client.cookies.clear()
    return client


@pytest.mark.django_db
@FUZZ
@given(form=random_forms, with_valid_base=st.booleans(), forwarded=st.none() | any_text)
def test_random_fields_never_crash(module_client, form, with_valid_base, forwarded):
    before = saved_pks()
    data = {**VALID, "submission_token": uuid.uuid4().hex} if with_valid_base else {}
    data.update(form)
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    response = new_visitor(module_client).post(FORM_URL, data, **extra)
    check_answer(response)
    check_saved(before)


def form_body(name, message, junk):
    """A request that looks right but carries bytes that are not UTF-8 in its text."""
    return b"&".join(
        [
            b"name=" + quote_from_bytes(name).encode(),
            b"phone=%28555%29+234-5678",
            b"requester=family",
            b"best_time=evening",
            b"consent=on",
            b"message=" + quote_from_bytes(message).encode(),
            b"submission_token=" + uuid.uuid4().hex.encode(),
            junk,
        ]
    )


random_bodies = st.one_of(
    st.binary(max_size=4000),
    st.builds(
        form_body,
        name=st.binary(min_size=1, max_size=200),
        message=st.binary(max_size=700),
        junk=st.binary(max_size=200),
    ),
)


@pytest.mark.django_db
@FUZZ
@given(body=random_bodies)
@example(body=b"name=\xff\xfe&phone=555\xc0\xaf2345678&consent=on&requester=patient")
@example(body=b"%ff%fe=%c3%28&name=%80")
@example(body=form_body(b"\xc3\x28 Ada", b"\xff" * 600, b"\x00\xff=\xfe"))
def test_random_bytes_never_crash(module_client, body):
    before = saved_pks()
    response = new_visitor(module_client).generic(
        "POST", FORM_URL, data=body, content_type="application/x-www-form-urlencoded"
    )
    check_answer(response)
    check_saved(before)


phone_strings = st.one_of(
    # Digits and the separators people type, in any arrangement.
    st.text(st.sampled_from("0123456789 ()+-.\t"), max_size=30),
    # Formats people use, with random digits.
    st.builds(
        lambda a, b, c, fmt: fmt.format(a, b, c),
        st.integers(0, 999).map("{:03d}".format),
        st.integers(0, 999).map("{:03d}".format),
        st.integers(0, 9999).map("{:04d}".format),
        st.sampled_from(
            [
                "({}) {}-{}",
                "{}-{}-{}",
                "{}.{}.{}",
                "{}{}{}",
                "+1 {} {} {}",
                "1-{}-{}-{}",
                "+1({}){}{}",
                "{} {} {} ext 5",
                "+44 {} {} {}",
            ]
        ),
    ),
    # Digits from other scripts (full-width, Arabic-Indic, Devanagari...) and separators.
    st.text(
        st.one_of(st.characters(categories=["Nd"]), st.sampled_from(" ()-.+")),
        min_size=7,
        max_size=25,
    ),
    # Anything at all.
    any_text,
)


@pytest.mark.django_db
@FUZZ
@given(phone=phone_strings)
@example(
    phone="５５５-２３４-５６７８"
)  # typed with a Japanese or Chinese input method
@example(phone="٥٥٥٢٣٤٥٦٧٨")  # Arabic-Indic digits
def test_random_phone_numbers_are_refused_or_normalised(module_client, phone):
    before = saved_pks()
    data = {**VALID, "phone": phone, "submission_token": uuid.uuid4().hex}
    response = new_visitor(module_client).post(FORM_URL, data)
    check_answer(response)
    check_saved(before)
    if response.status_code == 302:
        new = AppointmentRequest.objects.exclude(pk__in=before)
        if not new.exists():  # the same number as an earlier example: the same request
            assert response["Location"] == "/appointments/request/sent/"
            return
        saved = new.get()
        # The same number that was typed (digits of other scripts read as their value,
        # should the form choose to accept them rather than refuse them).
        digits = "".join(str(unicodedata.decimal(c)) for c in phone if c.isdecimal())
        assert saved.phone[-10:] == digits[-10:], (phone, saved.phone)
    else:
        assert AppointmentRequest.objects.exclude(pk__in=before).count() == 0


@pytest.mark.django_db
@settings(FUZZ, max_examples=50)
@given(origin=any_text, treatment=any_text)
def test_random_links_to_the_form_never_crash(module_client, origin, treatment):
    response = new_visitor(module_client).get(
        FORM_URL, {"from": origin, "treatment": treatment}
    )
    assert response.status_code == 200

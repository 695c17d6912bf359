"""Production security: headers, HTTPS, cookies, CSP-clean templates, the deployment
check, the admin's login throttle and permissions, sessions, and stored XSS through the
whole editorial workflow.

The suite runs with production-like settings (DEBUG off); the test client speaks plain
HTTP, so HTTPS behaviour is switched on per test with override_settings.
"""

import html as html_lib
import json
import re
import secrets
import string
import subprocess
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from treatments.models import Procedure, Question, SideEffect, Treatment

from .kit import PASSWORD, REASON, parse_html, public_routes, public_urls, route_of
from .servers import PYTHON, ROOT, server_environment

pytestmark = pytest.mark.django_db


# Helpers ---------------------------------------------------------------------------------


def csp_directives(response):
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def assert_security_headers(response, where):
    csp = csp_directives(response)
    assert "'self'" in csp.get("default-src", []), where
    for name, sources in csp.items():
        assert "'unsafe-inline'" not in sources, (
            f"{where}: {name} allows 'unsafe-inline'"
        )
        assert "'unsafe-eval'" not in sources, f"{where}: {name} allows 'unsafe-eval'"
    scripts = csp.get("script-src", csp["default-src"])
    assert not {"*", "data:", "http:", "https:", "blob:"} & set(scripts), (
        f"{where}: script-src {scripts}"
    )
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert csp.get("form-action") == ["'self'"], where
    assert csp.get("base-uri") == ["'none'"], where
    assert csp.get("object-src") == ["'none'"], where

    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("Referrer-Policy") in {"same-origin", "no-referrer"}, where
    assert response.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert response.get("X-Frame-Options") == "DENY", where
    policy = {
        name.strip(): value.strip()
        for name, _, value in (
            item.partition("=")
            for item in response.get("Permissions-Policy", "").split(",")
        )
    }
    for feature in ("camera", "microphone", "geolocation"):
        assert policy.get(feature) == "()", (
            f"{where}: Permissions-Policy does not deny {feature}"
        )


# What could run in a browser: scripts, handlers, dangerous URLs, inline styles.
URL_ATTRIBUTES = {
    "href",
    "src",
    "action",
    "formaction",
    "xlink:href",
    "data",
    "background",
    "poster",
    "srcset",
    "ping",
}
NEVER = {
    "iframe",
    "frame",
    "frameset",
    "object",
    "embed",
    "applet",
    "base",
    "svg",
    "math",
    "style",
}


class Scan:
    """What scan() found: whatever could run, the JSON-LD blocks, the h1 texts."""

    def __init__(self, page, allowed_script_sources=(), allowed_tags=()):
        never = NEVER - set(allowed_tags)
        self.problems, self.ld_json, self.h1_texts = [], [], []
        for element in page.iter()[1:]:
            tag, attrs = element.tag, element.raw_attrs  # repeats too, as written
            values = dict(attrs)
            if tag == "script":
                kind = (values.get("type") or "").strip().lower()
                src = values.get("src")
                if kind == "application/ld+json" and src is None:
                    self.ld_json.append(element.content)
                elif src is not None and src.startswith(allowed_script_sources):
                    if element.content.strip():
                        self.problems.append(
                            "inline code in an external <script>: "
                            f"{element.content[:80]!r}"
                        )
                else:
                    self.problems.append(f"<script {attrs}>")
            elif tag in never:
                self.problems.append(f"<{tag} {attrs}>")
            elif (
                tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh"
            ):
                self.problems.append(f"<meta {attrs}>")
            elif tag == "h1":
                self.h1_texts.append(element.content)
            for name, value in attrs:
                name = name.lower()
                if name.startswith("on"):
                    self.problems.append(f"<{tag}> handler {name}={value!r}")
                elif name in {"style", "srcdoc"}:
                    self.problems.append(f"<{tag}> {name}={value!r}")
                elif name in URL_ATTRIBUTES and value:
                    squashed = re.sub(r"[\x00-\x20]", "", value).lower()
                    if squashed.startswith(("javascript:", "vbscript:", "data:")):
                        self.problems.append(f"<{tag}> {name}={value!r}")


def scan(text, where, admin=False):
    """Fail if anything in this HTML could run; return the scan (JSON-LD, h1 texts)."""
    page = parse_html(text)
    if admin:  # the admin's own scripts and inline SVG icons
        found = Scan(
            page, (settings.STATIC_URL, reverse("admin:jsi18n")), allowed_tags={"svg"}
        )
    else:
        found = Scan(page)
    assert not found.problems, f"{where}: {found.problems[:5]}"
    # The JSON-LD, cut from the raw text the way a browser would: it ends at the first
    # "</script", so a payload that closed it early would leave broken JSON behind.
    for block in re.findall(
        r'<script type="application/ld\+json">(.*?)</script', text, re.S | re.I
    ):
        assert "<!--" not in block and "<script" not in block.lower(), where
        json.loads(block)
    return found


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


# Headers ---------------------------------------------------------------------------------


def test_security_headers_on_public_admin_and_preview_responses(
    client, site, superuser
):
    for url in public_urls():
        assert_security_headers(client.get(url), url)
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert_security_headers(not_found, "404 page")
    assert_security_headers(client.get(reverse("admin:login")), "admin login")

    login(client, "root")
    surgery = Treatment.objects.get(slug="surgery")
    for url in [
        reverse("admin:index"),
        reverse("admin:treatments_treatment_change", args=[surgery.pk]),
        reverse("admin:treatments_treatment_review", args=[surgery.pk]),
        reverse("editorial:draft-preview", args=["treatment", surgery.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)
    preview = client.post(
        settings.MARKDOWNX_URLS_PATH, {"content": "Some **bold** words."}
    )
    assert preview.status_code == 200
    assert b"<strong>bold</strong>" in preview.content
    assert_security_headers(preview, "markdownx preview")


def test_hsts_on_https_responses(site):
    with override_settings(SECURE_HSTS_SECONDS=31536000):
        client = (
            Client()
        )  # a new handler: SecurityMiddleware reads its settings at start
        for url in ["/", "/treatments/surgery/", reverse("admin:login")]:
            response = client.get(url, secure=True)
            assert response.status_code == 200, url
            hsts = response.get("Strict-Transport-Security", "")
            assert re.search(r"max-age=31536000\b", hsts), f"{url}: {hsts!r}"
            assert "includesubdomains" in hsts.lower(), url
        assert "Strict-Transport-Security" not in client.get(
            "/"
        )  # never over plain HTTP


def test_plain_http_is_redirected_to_https_unless_the_proxy_says_https(site):
    with override_settings(SECURE_SSL_REDIRECT=True):
        client = Client()
        response = client.get("/treatments/surgery/?a=1")
        assert response.status_code == 301
        assert response["Location"] == "https://testserver/treatments/surgery/?a=1"
        behind_proxy = client.get(
            "/treatments/surgery/", headers={"X-Forwarded-Proto": "https"}
        )
        assert behind_proxy.status_code == 200
        # A load balancer's health probe speaks plain HTTP to the app server.
        assert client.get("/healthz").status_code in {200, 503}


# Cookies and sessions --------------------------------------------------------------------


def test_public_pages_set_no_cookies(client, site):
    for url in [*public_urls(), "/no-such-page/", "/treatments/no-such-treatment/"]:
        response = client.get(url)
        assert response.status_code in {200, 404}, url
        assert not response.cookies, f"{url} sets {list(response.cookies)}"
        assert "Set-Cookie" not in response, url


def test_every_public_route_is_covered_by_these_tests(site):
    """A route that takes an argument is in public_urls() through the published
    records that live there: each must have some, in every language."""
    for language, _name in settings.LANGUAGES:
        reached = {
            route_of(url).view_name
            for url in public_urls(with_queries=False, languages=[language])
        }
        uncovered = [
            name
            for name, has_arguments in public_routes()
            if has_arguments and name not in reached
        ]
        assert not uncovered, f"no published {language} record lives at {uncovered}"


def assert_strict_cookie(cookie, name):
    assert cookie["httponly"], f"{name} is not HttpOnly"
    assert cookie["secure"], f"{name} is not Secure"
    assert cookie["samesite"].lower() in {"lax", "strict"}, (
        f"{name} SameSite={cookie['samesite']!r}"
    )


def test_admin_cookies_are_httponly_samesite_and_secure(site):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("admin:login"))
    assert page.status_code == 200
    assert_strict_cookie(page.cookies[settings.CSRF_COOKIE_NAME], "CSRF cookie")
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()
    ).group(1)

    response = client.post(
        reverse("admin:login"),
        {
            "username": "editor",
            "password": PASSWORD,
            "csrfmiddlewaretoken": token,
            "next": "/admin/",
        },
    )
    assert response.status_code == 302, "the login failed"
    assert_strict_cookie(
        response.cookies[settings.SESSION_COOKIE_NAME], "session cookie"
    )
    assert_strict_cookie(
        response.cookies[settings.CSRF_COOKIE_NAME], "rotated CSRF cookie"
    )


def test_admin_sessions_expire_when_idle(client, site):
    assert settings.SESSION_COOKIE_AGE <= 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    login(client, "editor")
    session = Session.objects.get(
        session_key=client.cookies[settings.SESSION_COOKIE_NAME].value
    )
    assert session.expire_date <= timezone.now() + timedelta(seconds=3600)
    # The clock starts again with every request (idle, not absolute, expiry).
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() + timedelta(seconds=30)
    )
    assert client.get(reverse("admin:index")).status_code == 200
    refreshed = Session.objects.get(pk=session.pk).expire_date
    assert refreshed > timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )
    # An expired session is not accepted.
    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert client.get(reverse("admin:index")).status_code == 302


# Templates that a strict CSP can serve --------------------------------------------------------


def inline_code(text):
    """<style> elements, style attributes, handlers and inline scripts (JSON-LD is
    data, not code): what a strict Content Security Policy would block."""
    found = []
    for element in parse_html(text).iter()[1:]:
        tag, attrs = element.tag, element.raw_attrs
        if tag == "style":
            found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                found.append(f"<{tag} style={value!r}>")
            if name.startswith("on"):
                found.append(f"<{tag} {name}=...>")
        kind = (dict(attrs).get("type") or "").lower()
        if (
            tag == "script"
            and element.content.strip()
            and kind != "application/ld+json"
        ):
            found.append(f"inline <script>: {element.content.strip()[:60]!r}")
    return found


def test_no_inline_scripts_or_styles_on_public_and_admin_pages(client, site, superuser):
    for url in [*public_urls(), "/no-such-page/"]:
        response = client.get(url)
        if response["Content-Type"].startswith("text/html"):
            assert not inline_code(response.content.decode()), (
                f"{url}: {inline_code(response.content.decode())}"
            )

    assert not inline_code(client.get(reverse("admin:login")).content.decode())
    login(client, "root")
    surgery = Treatment.objects.get(slug="surgery")
    for url in [
        reverse("admin:index"),
        reverse("admin:review-dashboard"),
        reverse("admin:treatments_treatment_changelist"),
        reverse("admin:treatments_treatment_change", args=[surgery.pk]),
        reverse("admin:treatments_treatment_add"),
        reverse("admin:treatments_treatment_review", args=[surgery.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        found = inline_code(response.content.decode())
        assert not found, f"{url}: {found}"


# The deployment check --------------------------------------------------------------------------


def test_manage_check_deploy_passes_with_production_settings():
    key = "".join(
        secrets.choice(string.ascii_letters + string.digits + "!@#%^*(-_=+)")
        for _ in range(50)
    )

    def check_deploy(**env):
        result = subprocess.run(
            [PYTHON, "manage.py", "check", "--deploy"],
            cwd=ROOT,
            env=server_environment(DJANGO_SECRET_KEY=key, **env),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return result.returncode, result.stdout + result.stderr

    # Production shares one cache between every process and server.
    code, output = check_deploy(REDIS_URL="redis://127.0.0.1:6379/0")
    assert code == 0, output
    assert "no issues" in output, output
    # Without it, the files every process of one machine shares: a warning.
    code, output = check_deploy()
    assert "netguide.W010" in output, output


# The admin: throttled logins and least privilege ------------------------------------------------


def post_login(client, username, password, address):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


@pytest.mark.parametrize(
    "trusted, forwarded, expected",
    [
        (1, None, "192.0.2.1"),  # nothing forwarded: the connection's address
        (1, "203.0.113.5", "203.0.113.5"),  # nginx's verdict
        (1, "10.9.9.9, 203.0.113.5", "203.0.113.5"),  # the client's words ignored
        (2, "10.9.9.9, 203.0.113.5, 198.51.100.1", "203.0.113.5"),
        (2, "203.0.113.5", "203.0.113.5"),  # fewer hops: the farthest recorded
        (0, "10.9.9.9, 203.0.113.5", "192.0.2.1"),  # no proxy: no header believed
        (1, " , 203.0.113.5 ", "203.0.113.5"),
    ],
)
def test_the_client_is_the_address_the_farthest_trusted_proxy_saw(
    rf, settings, trusted, forwarded, expected
):
    from netguide.client import client_address

    settings.TRUSTED_PROXIES = trusted
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = rf.get("/", REMOTE_ADDR="192.0.2.1", **headers)
    assert client_address(request) == expected


def test_admin_login_is_locked_after_too_many_wrong_passwords(client, site):
    attacker = "203.0.113.7"
    for attempt in range(settings.ADMIN_LOGIN_ATTEMPTS):
        response = post_login(client, "editor", f"wrong-{attempt}", attacker)
        assert response.status_code == 200, f"attempt {attempt + 1}"
        assert b"errornote" in response.content
    locked = post_login(client, "editor", PASSWORD, attacker)
    assert locked.status_code == 429
    text = locked.content.decode()
    assert "Too many failed sign-in attempts" in text
    assert f"{settings.ADMIN_LOCKOUT_SECONDS // 60} minutes" in text
    assert settings.SESSION_COOKIE_NAME not in locked.cookies
    # The account is protected from every address, and the address for every account.
    assert post_login(Client(), "editor", PASSWORD, "198.51.100.20").status_code == 429
    assert post_login(Client(), "reviewer", PASSWORD, attacker).status_code == 429
    # Everyone else signs in as usual.
    other = Client()
    assert post_login(other, "reviewer", PASSWORD, "198.51.100.21").status_code == 302
    assert other.get(reverse("admin:index")).status_code == 200


def test_the_username_lock_cannot_be_dodged_by_respelling_the_username(site):
    # Many addresses (a botnet, or X-Forwarded-For games) each guess a few times: the
    # per-username count is what protects the account.
    for attempt in range(settings.ADMIN_LOGIN_ATTEMPTS):
        post_login(Client(), "editor", f"wrong-{attempt}", f"192.0.2.{attempt + 1}")
    assert post_login(Client(), "editor", PASSWORD, "192.0.2.100").status_code == 429
    # The login form strips spaces and NFKC-normalizes the username, so these all sign
    # in as "editor"; the throttle must count them as "editor" too.
    spellings = [" editor", "editor ", "\uff45ditor", " " * 160 + "editor"]
    for number, spelling in enumerate(spellings):
        response = post_login(Client(), spelling, PASSWORD, f"192.0.2.{200 + number}")
        assert response.status_code == 429, (
            f"{spelling!r} signed in as a locked account (status {response.status_code}): "
            "LoginThrottle keys on the raw username, the form on the normalized one"
        )


def test_editors_and_reviewers_cannot_open_screens_outside_their_role(client, site):
    surgery = Treatment.objects.get(slug="surgery")
    login(client, "reviewer")
    assert client.get(reverse("admin:index")).status_code == 200
    for url in [
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[client.session["_auth_user_id"]]),
        reverse("admin:auth_group_changelist"),
    ]:
        assert client.get(url).status_code == 403, f"reviewer: {url}"

    client.logout()
    login(client, "editor")
    assert (
        client.get(
            reverse("admin:treatments_treatment_change", args=[surgery.pk])
        ).status_code
        == 200
    )
    for url in [
        reverse("admin:treatments_reviewerprofile_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:treatments_treatment_review", args=[surgery.pk]),
    ]:
        assert client.get(url).status_code == 403, f"editor: {url}"
    approve = client.post(
        reverse("admin:treatments_treatment_review", args=[surgery.pk]),
        {"content_hash": surgery.latest_revision.content_hash, "decision": "approve"},
    )
    assert approve.status_code == 403


def test_the_markdown_preview_is_for_staff_only(client, site):
    response = client.post(settings.MARKDOWNX_URLS_PATH, {"content": "Hello"})
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    login(client, "editor")
    assert client.get(settings.MARKDOWNX_URLS_PATH).status_code == 405


# Stored XSS through the whole workflow -----------------------------------------------------------

PAYLOADS = [
    '<script>alert("xss1")</script>',
    '<img src=x onerror=alert("xss2")>',
    '<svg onload=alert("xss3")>',
    '<svg><script>alert("xss4")</script></svg>',
    '[click me](javascript:alert("xss5"))',
    "<a href=\"javascript:alert('xss6')\">tap</a>",
    '"><script>alert("xss7")</script>',
    "'><img src=x onerror=alert('xss8')>",
    '</script><script>alert("xss9")</script>',
    '</SCRIPT ><SCRIPT>alert("xss10")</SCRIPT>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4=">data link</a>',
    "![pic](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMTIpPg==)",
    "<div style=\"background:url(javascript:alert(13));width:expression(alert('xss13'))\">styled</div>",
    "{{ request.META }} {% debug %} ${7*7} {{7*7}} #{7*7}",
    '\\u003cscript\\u003ealert("xss15")\\u003c/script\\u003e',
    '&lt;script&gt;alert("xss16")&lt;/script&gt; &#60;script&#62;alert(16)&#60;/script&#62;',
    '<iframe src="javascript:alert(17)"></iframe>',
    '[a](JaVaScRiPt:alert("xss18")) [b](&#106;avascript:alert(18)) [c]( javascript:alert(18))',
    '<a href="jav&#x09;ascript:alert(19)">tab</a> <a href="  javascript:alert(19)">space</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(20)></style></mglyph></table></mtext></math>",
    "<body onload=alert(21)><input autofocus onfocus=alert(21)>",
    "\uff1cscript\uff1ealert(22)\uff1c/script\uff1e \u2028\u2029 <scr<script>ipt>alert(22)</script>",
    "<!--<script>alert(23)--><script>alert(23)</script>",
    '<base href="https://evil.example/"><form action="javascript:alert(24)"><button formaction="javascript:alert(24)">go</button></form>',
    '<object data="javascript:alert(25)"></object><embed src="data:text/html,<script>alert(25)</script>">',
    '<table><tr><th scope="x>Abdomen <img src=x onerror=alert(26)>">h</th></tr></table> Abdomen',
    '[t](https://example.org "x>Abdomen <img src=x onerror=alert(27)>") <meta http-equiv="refresh" content="0;url=javascript:alert(27)">',
]
TREATMENT_MARKER = "Quokkaxss"
EFFECT_MARKER = "Wombatxss"


def clip(text, length):
    return text[:length]


def test_the_scanner_sees_what_a_browser_would_run():
    for number in (0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 12, 16, 18, 20, 22, 23, 24):
        with pytest.raises(AssertionError, match="xss|alert|<"):
            payload = PAYLOADS[number]
            scan(f"<p>{payload}</p>", "raw payload")
    with pytest.raises(AssertionError):
        scan(
            '<script type="application/ld+json">{"name": "</script><script>alert(1)</script>"}</script>',
            "ld",
        )
    scan(
        '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p><script type="application/ld+json">{"a": 1}</script>',
        "ok",
    )


def test_stored_xss_payloads_never_become_executable(client, site, editor, reviewer):
    records = []
    for number, payload in enumerate(PAYLOADS):
        effect = SideEffect.objects.create(
            slug=f"xss-effect-{number}",
            name=clip(payload, 80),
            description=f"{EFFECT_MARKER} {payload}",
        )
        effect.save_revision(editor)
        effect.submit(editor, clip(payload, 200), REASON)
        treatment = Treatment.objects.create(
            slug=f"xss-{number}",
            title=clip(payload, 120),
            summary=clip(f"{TREATMENT_MARKER} {payload}", 200),
            body=f"{TREATMENT_MARKER} says hello.\n\n{payload}\n\nAnd goodbye.",
            order=300 + number,
        )
        treatment.side_effects.add(effect)
        Question.objects.create(treatment=treatment, text=clip(payload, 300))
        Procedure.objects.create(
            treatment=treatment, name=clip(payload, 120), description=payload
        )
        treatment.save_revision(editor)
        treatment.submit(editor, clip(payload, 200), REASON)
        records.append((payload, treatment, effect))

    # Before sign-off: the staff draft preview, the reviewer's diff screen, the change form.
    client.force_login(editor)
    for payload, treatment, _effect in records:
        url = reverse("editorial:draft-preview", args=["treatment", treatment.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert scan(response.content.decode(), url).h1_texts == [treatment.title]
        url = reverse("admin:treatments_treatment_change", args=[treatment.pk])
        scan(client.get(url).content.decode(), url, admin=True)
        preview = client.post(settings.MARKDOWNX_URLS_PATH, {"content": payload})
        assert preview.status_code == 200
        scan(preview.content.decode(), f"markdown preview of {payload!r}")
    client.force_login(reviewer)
    for payload, treatment, effect in records:
        for record, name in ((treatment, "treatment"), (effect, "sideeffect")):
            url = reverse(f"admin:treatments_{name}_review", args=[record.pk])
            response = client.get(url)
            assert response.status_code == 200
            assert "review-diff" in response.content.decode()
            scan(response.content.decode(), url, admin=True)
        effect.approve(
            reviewer, effect.latest_revision.content_hash, clip(payload, 500)
        )
        treatment.approve(
            reviewer, treatment.latest_revision.content_hash, clip(payload, 500)
        )
    client.logout()

    # After sign-off: every public page that shows any of it.
    slugs = "&".join(f"t=xss-{number}" for number in range(len(PAYLOADS)))
    for url in [
        "/",
        "/side-effects/",
        "/explore/",
        f"/my-questions/?{slugs}",
        "/sitemap.xml",
    ]:
        response = client.get(url)
        assert response.status_code == 200
        if url != "/sitemap.xml":
            scan(response.content.decode(), url)
    for marker, expected in (
        (TREATMENT_MARKER, len(records)),
        (EFFECT_MARKER, len(records)),
    ):
        response = client.get(f"/search/?q={marker}")
        text = response.content.decode()
        scan(text, f"search for {marker}")
        assert text.count('class="result-kind"') == min(expected, 30), (
            f"search for {marker}"
        )
    for payload, treatment, effect in records:
        url = f"/treatments/{treatment.slug}/"
        response = client.get(url)
        assert response.status_code == 200
        found = scan(response.content.decode(), url)
        assert found.h1_texts == [treatment.title], (
            "the title is shown as text, exactly"
        )
        data = [json.loads(block) for block in found.ld_json]
        assert any(item.get("name") == treatment.title for item in data), (
            "JSON-LD round-trips the title"
        )
        assert all("</script" not in block.lower() for block in found.ld_json)
        url = f"/side-effects/{effect.slug}/"
        response = client.get(url)
        assert response.status_code == 200
        scan(response.content.decode(), url)
        # Reflected, too: the payload typed into the search box.
        response = client.get("/search/", {"q": payload})
        assert response.status_code == 200
        scan(response.content.decode(), f"search for {payload!r}")
    # The literal text of a template-looking payload is shown, not evaluated.
    shown = html_lib.unescape(client.get("/treatments/xss-13/").content.decode())
    assert "{{7*7}}" in shown and "{% debug %}" in shown

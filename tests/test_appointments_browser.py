"""The appointment form in a real browser: keyboard only, with and without JavaScript,
checked by axe-core at desktop and phone widths.

Debian's Chromium drives pytest-django's live_server through pytest-playwright's
`browser` fixture (tests/conftest.py); axe-core (`axe_script`) is injected with
page.evaluate (a <script> tag would be blocked by the site's Content Security Policy).
"""

import pytest
from django.utils import timezone

from appointments.models import AppointmentRequest

from .kit import (
    ADMIN_LIST,
    TAKE_SCREENSHOTS,
    axe_violations,
    browser_page,
    log_in,
    save_screenshot,
)

WIDTHS = {"desktop": 1280, "phone": 375}
FORM_PATH = "/appointments/request/"
SENT_PATH = "/appointments/request/sent/"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


# Helpers on a page --------------------------------------


def focused(page):
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          return {id: el.id, tag: el.tagName.toLowerCase(), href: el.getAttribute('href'),
                  name: el.getAttribute('name'), value: el.value ?? null};
        }"""
    )


def press_tab_until(page, condition, limit=60, key="Tab"):
    """Press Tab (or Shift+Tab) until `condition`, JS about the focused `el`, holds."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"(el => {condition})(document.activeElement)"):
            return
    raise AssertionError(f"{limit} presses of {key} never reached: {condition}")


def tab_to(page, element_id):
    """One Tab: focus moves straight to `element_id` and nowhere else."""
    page.keyboard.press("Tab")
    where = focused(page)
    assert where["id"] == element_id, f"Tab went to {where}, expected #{element_id}"


def checked(page, name):
    return page.evaluate(
        f"document.querySelector('input[name={name}]:checked')?.value ?? null"
    )


# Keyboard only --------------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_patient_fills_in_the_form_by_keyboard_fixes_mistakes_and_sends_it(
    javascript, browser, live_server, published_site, plain_http_cookies
):
    base = live_server.url

    def patient(browser):
        with browser_page(
            browser,
            viewport={"width": 1280, "height": 900},
            java_script_enabled=javascript,
        ) as page:
            page.set_default_timeout(15_000)
            page.goto(f"{base}{FORM_PATH}?from=/treatments/surgery/")

            # First try: no name, a phone number with letters, the box not ticked.
            press_tab_until(page, "el.id === 'id_name'")
            tab_to(page, "id_phone")
            page.keyboard.type("555-CALL-NOW")
            tab_to(page, "id_email")
            tab_to(page, "id_requester_0")  # no answer yet: Tab enters at the first
            page.keyboard.press("Space")
            page.keyboard.press("ArrowDown")
            assert checked(page, "requester") == "family"
            tab_to(page, "id_best_time_0")  # "Any time" is chosen: Tab enters there
            page.keyboard.press("ArrowDown")
            assert checked(page, "best_time") == "morning"
            tab_to(page, "id_language_0")  # English is chosen: Tab enters there
            page.keyboard.press("ArrowDown")
            assert checked(page, "language") == "es"
            tab_to(page, "id_interpreter")
            page.keyboard.press("Space")
            tab_to(page, "id_treatment")
            assert page.input_value("#id_treatment") == "surgery"
            tab_to(page, "id_message")
            page.keyboard.type("Mornings are best. Ask for my daughter.")
            tab_to(page, "id_consent")  # the hidden honeypot field is never a Tab stop
            press_tab_until(page, "el.type === 'submit'", limit=3)
            with page.expect_navigation():
                page.keyboard.press("Enter")

            assert page.url == base + FORM_PATH
            assert page.title().startswith("Error:")
            summary = page.locator(".error-summary")
            assert summary.is_visible()
            assert summary.get_attribute("role") == "alert"
            links = summary.locator("a")
            hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
            assert hrefs == ["#id_name", "#id_phone", "#id_consent"]
            # The summary has the focus, without JavaScript too.
            assert focused(page)["id"] == "error-summary", focused(page)
            # What was typed and chosen is all still there.
            assert page.input_value("#id_phone") == "555-CALL-NOW"
            assert checked(page, "requester") == "family"
            assert checked(page, "best_time") == "morning"
            assert page.input_value("#id_treatment") == "surgery"
            assert (
                page.input_value("#id_message")
                == "Mornings are best. Ask for my daughter."
            )

            # The summary's links put the focus in each field in turn (issue 26:
            # Enter on a link to the field's wrapper left it on the page body).
            press_tab_until(page, "el.getAttribute('href') === '#id_name'")
            page.keyboard.press("Enter")
            assert focused(page)["id"] == "id_name"
            page.keyboard.type("Ann Example")

            press_tab_until(
                page,
                "el.getAttribute('href') === '#id_consent'",
                key="Shift+Tab",
            )
            page.keyboard.press("Enter")
            assert focused(page)["id"] == "id_consent"
            page.keyboard.press("Space")
            assert page.is_checked("#id_consent")

            press_tab_until(
                page, "el.getAttribute('href') === '#id_phone'", key="Shift+Tab"
            )
            page.keyboard.press("Enter")
            assert focused(page)["id"] == "id_phone"
            page.keyboard.press("ControlOrMeta+a")
            page.keyboard.type("(555) 234-5678")

            # Enter in a text field sends the form.
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.url == base + SENT_PATH
            heading = page.locator("h1").inner_text()
            assert heading == "Thank you. We got your request."
            main = page.locator("main").inner_text()
            assert "What happens next" in main and "(888) 552-6760" in main
            return page.context.cookies()

    cookies = patient(browser)
    assert sorted(c["name"] for c in cookies) == ["appointment_sent", "csrftoken"]
    sent = next(c for c in cookies if c["name"] == "appointment_sent")
    assert (sent["httpOnly"], sent["sameSite"], sent["path"]) == (
        True,
        "Strict",
        FORM_PATH,
    )

    saved = AppointmentRequest.objects.get()
    assert saved.name == "Ann Example"
    assert saved.phone == "+15552345678"
    assert (saved.requester, saved.best_time, saved.treatment) == (
        "family",
        "morning",
        "surgery",
    )
    assert saved.message == "Mornings are best. Ask for my daughter."
    assert saved.consent is True
    assert (saved.language, saved.interpreter) == ("es", True)


def test_a_full_message_with_line_breaks_goes_through(
    browser, live_server, plain_http_cookies
):
    """The browser lets the patient type 500 characters, line breaks counted as one each
    (maxlength=500), and sends each break as CR LF. The server must take it."""
    base = live_server.url

    def patient(browser):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            page.goto(base + FORM_PATH)
            page.fill("#id_name", "Ann Example")
            page.fill("#id_phone", "(555) 234-5678")
            page.check("#id_requester_0")
            page.check("#id_consent")
            page.focus("#id_message")
            for _ in range(10):
                page.keyboard.type("x" * 49)
                page.keyboard.press("Enter")
            page.keyboard.type("more")  # the browser stops the patient here
            typed = page.evaluate("document.querySelector('#id_message').value.length")
            assert typed == 500, typed
            with page.expect_navigation():
                page.click("button[type=submit]")
            summary = page.locator(".error-summary")
            problem = summary.inner_text() if summary.count() else ""
            return page.url, problem
        finally:
            page.close()

    url, problem = patient(browser)
    assert url == base + SENT_PATH, f"refused: {problem!r}"
    assert AppointmentRequest.objects.count() == 1


# axe-core at two widths -----------------------------------------------------------


@pytest.mark.parametrize("width", list(WIDTHS.values()), ids=list(WIDTHS))
def test_no_accessibility_violations_on_the_form_the_errors_and_the_confirmation(
    width, browser, axe_script, live_server, plain_http_cookies
):
    base = live_server.url

    def check(browser):
        page = browser.new_page(viewport={"width": width, "height": 800})
        problems = []
        try:
            page.goto(base + FORM_PATH)
            problems += [f"empty form: {v}" for v in axe_violations(page, axe_script)]

            page.fill("#id_phone", "555-CALL")
            page.fill("#id_email", "ann@")
            with page.expect_navigation():
                page.click("button[type=submit]")
            assert page.locator(".error-summary").is_visible()
            problems += [
                f"form with errors: {v}" for v in axe_violations(page, axe_script)
            ]
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                problems.append(f"form with errors scrolls sideways by {overflow} px")
            if width == WIDTHS["phone"]:
                save_screenshot(
                    page, "appointment-form-errors-phone.png", full_page=True
                )

            page.fill("#id_name", "Ann Example")
            page.fill("#id_phone", "(555) 234-5678")
            page.fill("#id_email", "")
            page.check("#id_requester_0")
            page.check("#id_consent")
            with page.expect_navigation():
                page.click("button[type=submit]")
            assert page.url == base + SENT_PATH
            problems += [f"confirmation: {v}" for v in axe_violations(page, axe_script)]
        finally:
            page.close()
        return problems

    problems = check(browser)
    assert not problems, f"{len(problems)} problem(s) at {width} px:\n" + "\n".join(
        problems
    )
    assert AppointmentRequest.objects.count() == 1


def test_fields_with_mistakes_are_marked_in_red(
    browser, live_server, plain_http_cookies
):
    """Besides the red message, a field with a mistake gets the red border the site's CSS
    asks for (.has-error input), so it stands out when scrolling the form."""
    base = live_server.url

    def colours(browser):
        page = browser.new_page(viewport={"width": 375, "height": 800})
        try:
            page.goto(base + FORM_PATH)
            page.fill("#id_phone", "555-CALL")
            with page.expect_navigation():
                page.click("button[type=submit]")
            return page.evaluate(
                """() => Object.fromEntries(['id_name', 'id_phone', 'id_email'].map(id => [
                  id, getComputedStyle(document.getElementById(id)).borderTopColor]))"""
            )
        finally:
            page.close()

    borders = colours(browser)
    red = "rgb(176, 0, 32)"  # #b00020, the colour of the error messages
    assert borders["id_email"] != red  # no mistake there
    assert (borders["id_name"], borders["id_phone"]) == (red, red), borders


# The appointment team's queue and attempt log in the admin -----------------------

RED = "rgb(176, 0, 32)"


def a_morning_of_requests(now, coordinator):
    """What the team finds on a Wednesday morning: some late, some due, some handled."""
    from datetime import timedelta
    from uuid import uuid4

    from appointments.models import Notification, Status

    def make(hours_ago, **fields):
        return AppointmentRequest.objects.create(
            name="Ada Example",
            phone=fields.pop("phone", "+15552345678"),
            requester="patient",
            consent=True,
            submission_token=uuid4().hex,
            created_at=now - timedelta(hours=hours_ago),
            **fields,
        )

    late = make(49, treatment="prrt", phone="+15550000001")
    spanish = make(
        30, treatment="surgery", language="es", interpreter=True, phone="+15550000002"
    )
    make(20, phone="+15550000003", assigned_to=coordinator)
    make(3, treatment="chemotherapy", phone="+15550000001")  # asked again
    failed = make(1, phone="+15550000004")
    Notification.objects.create(request=failed, status="failed", attempts=2)
    make(
        26,
        status=Status.CONTACTED,
        contacted_at=now - timedelta(hours=5),
        phone="+15550000005",
    )
    make(
        72,
        status=Status.CLOSED,
        closed_at=now - timedelta(hours=2),
        phone="+15550000006",
    )
    return late, spanish


def test_the_queue_puts_overdue_requests_first_in_red_and_filters_them(
    browser, live_server, plain_http_cookies, clock, coordinator
):
    late, spanish = a_morning_of_requests(clock.now, coordinator)
    base = live_server.url

    def at_the_desk(browser):
        results = {}
        for label, width in (("desktop", 1280), ("mobile", 375)):
            with browser_page(
                browser, viewport={"width": width, "height": 900}
            ) as page:
                page.set_default_timeout(15_000)
                log_in(page, base, "coordinator", ADMIN_LIST)
                assert page.url == base + ADMIN_LIST
                rows = page.locator("#result_list tbody tr")
                results[label] = {
                    "first": rows.nth(0).locator("th").inner_text(),
                    "call_back": [
                        rows.nth(i).locator("td.field-call_back").inner_text()
                        for i in range(rows.count())
                    ],
                    "colour": page.locator(
                        "td.field-call_back .overdue"
                    ).first.evaluate("el => getComputedStyle(el).color"),
                }
                if TAKE_SCREENSHOTS:
                    if page.locator("#toggle-nav-sidebar").is_visible():
                        page.click("#toggle-nav-sidebar")  # room for the columns
                    save_screenshot(
                        page, f"appointments-queue-{label}.png", full_page=True
                    )
                if label == "desktop":
                    with page.expect_navigation():
                        page.click("#changelist-filter a[href*='due=overdue']")
                    overdue = page.locator("#result_list tbody tr th")
                    results["overdue"] = [
                        overdue.nth(i).inner_text() for i in range(overdue.count())
                    ]
                    with page.expect_navigation():
                        page.click("#changelist-filter a[href*='assigned=me']")
                    results["mine"] = page.locator("#result_list tbody tr").count()
        return results

    results = at_the_desk(browser)
    desktop = results["desktop"]
    assert desktop["first"] == str(late)
    assert desktop["call_back"] == [
        "Overdue by 1 day 1 h",
        "Overdue by 15 h 0 min",  # sent Tuesday 04:00: due by 19:00, in business hours
        "4 h 0 min left",
        "9 h 0 min left",  # sent at 07:00 today: due by 19:00
        "23 h 0 min left",
        "Contacted, open 1 day 2 h",
        "-",
    ]
    assert desktop["colour"] == RED
    assert results["mobile"]["call_back"] == desktop["call_back"]
    assert results["overdue"] == [str(late), str(spanish)]
    assert results["mine"] == 0  # the overdue filter and "mine" together: none


def test_a_coordinator_logs_two_call_attempts_and_both_stay(
    browser, live_server, plain_http_cookies, coordinator
):
    from appointments.models import CallAttempt

    item, _ = a_morning_of_requests(timezone.now(), coordinator)
    base = live_server.url

    def at_the_desk(browser):
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        try:
            log_in(page, base, "coordinator", ADMIN_LIST)
            for outcome, note in (
                ("voicemail", "Called 10:05, left voicemail."),
                ("reached", "Called 14:00, booked for Thursday."),
            ):
                page.goto(base + item.get_admin_url())
                # Only the empty row takes input; earlier attempts are read-only.
                row = page.locator("#attempts-group tr.form-row:not(.empty-form)").last
                row.locator("select[name$='-outcome']").select_option(outcome)
                row.locator("input[name$='-note']").fill(note)
                with page.expect_navigation():
                    page.click("input[name=_continue]")
                assert (
                    "was changed successfully"
                    in page.locator(".messagelist").inner_text()
                )
            shown = page.locator("#attempts-group").inner_text()
            tel = page.locator(".field-phone_link a").get_attribute("href")
            return shown, tel
        finally:
            page.close()

    shown, tel = at_the_desk(browser)
    assert "Called 10:05, left voicemail." in shown
    assert "Called 14:00, booked for Thursday." in shown
    assert tel == "tel:+15550000001"
    assert [(a.outcome, a.note, a.by) for a in CallAttempt.objects.order_by("pk")] == [
        ("voicemail", "Called 10:05, left voicemail.", coordinator),
        ("reached", "Called 14:00, booked for Thursday.", coordinator),
    ]
    item.refresh_from_db()
    assert item.status == "contacted"


# After a failed submit: focus, the accessibility tree, where the links land --------

PHONE_SCREEN = {"width": 390, "height": 844}
ERROR_LINKS = [
    ("#id_name", "Please tell us your name."),
    (
        "#id_phone",
        "Your phone number is too short. Enter all 10 digits with the area code, "
        "like (555) 123-4567.",
    ),
    (
        "#id_email",
        "Enter your email address like name@example.com, or leave it empty.",
    ),
    ("#id_requester_0", "Please tell us who is asking."),
    (
        "#id_consent",
        "Tick the box to agree that our appointment team may contact you.",
    ),
]


def send_with_mistakes(page, base):
    page.goto(base + FORM_PATH)
    page.fill("#id_phone", "555-12")
    page.fill("#id_email", "ann@")
    with page.expect_navigation():
        page.click("button[type=submit]")


def accessibility_tree(page):
    """Chromium's own accessibility tree: (role, name, description, focused) per node."""
    tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
    nodes = []
    for node in tree["nodes"]:
        if node.get("ignored"):
            continue
        props = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        nodes.append(
            (
                node.get("role", {}).get("value"),
                node.get("name", {}).get("value"),
                node.get("description", {}).get("value"),
                bool(props.get("focused")),
            )
        )
    return nodes


def test_after_a_failed_submit_focus_is_on_the_summary_and_every_error_link_names_its_field(
    browser, live_server, plain_http_cookies
):
    """Without JavaScript, on a 390 px phone: the summary is focused and in the first
    screen; each error is a link named by its message, which names its question; each
    question is described by its error, radio groups included."""
    base = live_server.url

    def patient(browser):
        with browser_page(
            browser, viewport=PHONE_SCREEN, java_script_enabled=False
        ) as page:
            send_with_mistakes(page, base)
            summary = page.locator(".error-summary")
            page.evaluate("window.scrollTo(0, 0)")  # the first screen, as it loaded
            return (
                accessibility_tree(page),
                summary.aria_snapshot(),
                summary.bounding_box(),
            )

    tree, snapshot, box = patient(browser)
    focused_nodes = [
        (role, name) for role, name, _, focus in tree if focus and role != "RootWebArea"
    ]
    assert focused_nodes == [("alert", "Error: please fix 5 things below")]
    assert snapshot.splitlines()[:3] == [
        """- 'alert "Error: please fix 5 things below"':""",
        """  - 'heading "Error: please fix 5 things below" [level=2]'""",
        "  - list:",
    ]
    links = [
        (line.strip()[len('- link "') :].rstrip('":'))
        for line in snapshot.splitlines()
        if line.strip().startswith("- link ")
    ]
    urls = [
        line.strip()[len('- /url: "') :].rstrip('"')
        for line in snapshot.splitlines()
        if line.strip().startswith("- /url:")
    ]
    assert list(zip(urls, links, strict=True)) == ERROR_LINKS
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE_SCREEN["height"], box

    described = {
        (role, name): description
        for role, name, description, _ in tree
        if description and "Error:" in description
    }
    assert described == {
        ("textbox", "Your name"): "Error: Please tell us your name.",
        ("textbox", "Phone number"): "We will call you on this number. For example "
        "(555) 123-4567. Error: Your phone number is too short. Enter all 10 digits "
        "with the area code, like (555) 123-4567.",
        ("textbox", "Email (optional)"): "Error: Enter your email address like "
        "name@example.com, or leave it empty.",
        ("group", "Who is asking"): "Error: Please tell us who is asking.",
        (
            "checkbox",
            "I agree that the appointment team may contact me about this request.",
        ): "Error: Tick the box to agree that our appointment team may contact you.",
    }
    # Tap to call: the team's number is a tel: link named by the number.
    assert ("link", "(888) 552-6760", None, False) in tree


@pytest.mark.parametrize(
    "viewport, text",
    [(PHONE_SCREEN, "100%"), ({"width": 320, "height": 640}, "200%")],
    ids=["390px", "320px-200pc-text"],
)
def test_each_error_link_lands_with_the_label_and_the_error_in_view(
    viewport, text, browser, live_server, plain_http_cookies
):
    base = live_server.url

    def patient(browser):
        landed = {}
        with browser_page(
            browser, viewport=viewport, java_script_enabled=False
        ) as page:
            send_with_mistakes(page, base)
            page.evaluate(f"document.documentElement.style.fontSize = '{text}'")
            for href, _ in ERROR_LINKS:
                page.evaluate("window.scrollTo(0, 0)")
                page.locator(f".error-summary a[href='{href}']").click()
                landed[href] = page.evaluate(
                    """(id) => {
                      const box = document.getElementById(id).closest('.field');
                      const title = box.querySelector('label, legend');
                      const error = box.querySelector('.field-error');
                      return {title: title.getBoundingClientRect().top,
                              error: error.getBoundingClientRect().top,
                              errorEnd: error.getBoundingClientRect().bottom,
                              screen: window.innerHeight,
                              focus: document.activeElement.id};
                    }""",
                    href[1:],
                )
        return landed

    landed = patient(browser)
    for href, where in landed.items():
        if text == "100%":
            assert 0 <= where["title"] < where["screen"], (href, where)
            assert 0 <= where["error"] < where["screen"], (href, where)
            assert where["errorEnd"] <= where["screen"], (href, where)
        else:
            # With 200 % text a question can be taller than the screen: the field
            # has the focus, with its error right above it in view.
            assert 0 < where["errorEnd"] < where["screen"], (href, where)
        # The link put the focus in the field itself, ready to type (issue 26).
        assert where["focus"] == href[1:], (href, where)


def test_with_forced_colours_a_question_with_a_mistake_is_still_marked(
    browser, live_server, plain_http_cookies
):
    """Red text and red borders turn into the system colour: a bar at the side and a
    warning sign stay."""
    base = live_server.url

    def patient(browser):
        page = browser.new_page(viewport=PHONE_SCREEN)
        try:
            page.emulate_media(forced_colors="active")
            send_with_mistakes(page, base)
            return page.evaluate(
                """() => Object.fromEntries(
                  ['id_name_field', 'id_requester_field', 'id_best_time_field',
                   'id_message_field'].map(id => {
                    const box = document.getElementById(id);
                    const error = box.querySelector('.field-error');
                    const style = getComputedStyle(box);
                    return [id, {
                      bar: style.borderLeftWidth + ' ' + style.borderLeftStyle,
                      forced: matchMedia('(forced-colors: active)').matches,
                      sign: error ? getComputedStyle(error, '::before').content : null,
                    }];
                  }))"""
            )
        finally:
            page.close()

    marks = patient(browser)
    assert all(m["forced"] for m in marks.values())
    assert marks["id_name_field"]["bar"] == "4px solid"
    assert marks["id_requester_field"]["bar"] == "6px solid"
    assert marks["id_name_field"]["sign"].startswith('"⚠')
    assert marks["id_requester_field"]["sign"].startswith('"⚠')
    # Questions without a mistake have no bar and no sign.
    assert marks["id_message_field"] == {
        "bar": "0px none",
        "forced": True,
        "sign": None,
    }
    assert marks["id_best_time_field"]["bar"] == "1px solid"  # the plain fieldset


def test_no_sideways_scrolling_at_320_px_with_200_percent_text(
    browser, live_server, plain_http_cookies
):
    base = live_server.url
    overflow = (
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )

    def patient(browser):
        found = {}
        with browser_page(browser, viewport={"width": 320, "height": 640}) as page:

            def measure(state):
                page.evaluate("document.documentElement.style.fontSize = '200%'")
                found[state] = page.evaluate(overflow)

            page.goto(base + FORM_PATH)
            measure("form")
            send_with_mistakes(page, base)
            measure("errors")
            page.fill("#id_name", "Ann Example")
            page.fill("#id_phone", "(555) 234-5678")
            page.fill("#id_email", "")
            page.check("#id_requester_0")
            page.check("#id_consent")
            with page.expect_navigation():
                page.click("button[type=submit]")
            measure("sent")
            page.goto(base + FORM_PATH)
            measure("already sent")
        return found

    assert patient(browser) == {
        "form": 0,
        "errors": 0,
        "sent": 0,
        "already sent": 0,
    }


# Back after sending ----------------------------------------------------------------


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_back_after_sending_says_it_was_sent_and_never_makes_a_second_request(
    javascript, browser, live_server, plain_http_cookies
):
    base = live_server.url

    def fill(page):
        page.fill("#id_name", "Ann Example")
        page.fill("#id_phone", "(555) 234-5678")
        page.check("#id_requester_1")
        page.check("#id_consent")

    def patient(browser):
        with browser_page(
            browser, viewport=PHONE_SCREEN, java_script_enabled=javascript
        ) as page:
            page.set_default_timeout(15_000)
            page.goto(base + FORM_PATH)
            fill(page)
            with page.expect_navigation():
                page.click("button[type=submit]")
            assert page.url == base + SENT_PATH

            page.go_back()
            assert page.url == base + FORM_PATH
            back = {
                "h1": page.locator("h1").inner_text(),
                "lead": page.locator(".lead").inner_text(),
                "forms": page.locator("form.appointment-form").count(),
            }
            # The same request once more, through "Send a different request".
            with page.expect_navigation():
                page.get_by_role("link", name="Send a different request").click()
            fill(page)
            with page.expect_navigation():
                page.click("button[type=submit]")
            return back, page.url, page.locator("h1").inner_text()

    back, url, heading = patient(browser)
    assert back["h1"] == "You already sent a request"
    assert back["lead"].startswith("We got a request from this browser at ")
    assert back["lead"].endswith(" Eastern Time. You do not need to send it again.")
    assert back["forms"] == 0
    assert (url, heading) == (base + SENT_PATH, "Thank you. We got your request.")
    assert AppointmentRequest.objects.count() == 1


@pytest.mark.parametrize("label, width", [("mobile", 375), ("desktop", 1280)])
def test_screenshots_of_the_form_with_errors(
    label, width, browser, live_server, plain_http_cookies
):
    """NETGUIDE_SCREENSHOTS=1 writes docs/screenshots/appointment-errors-*.png."""
    base = live_server.url

    def patient(browser):
        page = browser.new_page(viewport={"width": width, "height": 800})
        try:
            send_with_mistakes(page, base)
            save_screenshot(page, f"appointment-errors-{label}.png", full_page=True)
            return page.locator(".error-summary").bounding_box()
        finally:
            page.close()

    box = patient(browser)
    assert box["y"] + box["height"] <= 800, box  # the whole summary on the first screen

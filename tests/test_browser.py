"""Real-browser checks of the public pages: accessibility, reflow, keyboard use, print.

Debian's Chromium drives pytest-django's live_server through pytest-playwright's
`browser` fixture (tests/conftest.py); axe-core (`axe_script`) is injected with
page.evaluate (a <script> tag would be blocked by the CSP).

To keep the file fast, each test loads the published site once and loops over
every public page, collecting problems, then fails once listing them all.

Set NETGUIDE_SCREENSHOTS=1 to also write full-page screenshots of every public
page at 1280 and 375 px into docs/screenshots/ (home-desktop.png, home-mobile.png…).
"""

from urllib.parse import parse_qs, urlsplit

import pytest

from .kit import (
    SCREENSHOT_DIR,
    TAKE_SCREENSHOTS,
    TREATMENT_SLUGS,
    axe_violations,
    browser_page,
    public_pages,
    route_of,
    save_screenshot,
)

pytestmark = pytest.mark.browser


EXPLORER_ANSWERS = {
    "origin": "gi",
    "grade": "low",
    "extent": "localized",
    "liver": "no",
    "hormones": "yes",
    "removal": "not-sure",
}

# Each viewport, and the narrower width its pages must also reflow into without
# sideways scrolling: 1280 px at 200% zoom is 640 CSS px; 320 px is WCAG 1.4.10's.
VIEWPORTS = {
    "desktop": {
        "size": {"width": 1280, "height": 800},
        "reflow": {"width": 640, "height": 400},
    },
    "mobile": {
        "size": {"width": 375, "height": 800},
        "reflow": {"width": 320, "height": 800},
    },
}


def page_name(url):
    """The name of a page's screenshots: its route, and its record's slug."""
    route = route_of(url)
    return "-".join([route.url_name, *route.kwargs.values()])


def pages_to_check():
    """(name, path, expected status) of every public page in English, and of the
    answers that change what a page shows."""
    pages = [(page_name(url), url, 200) for url in public_pages(False, ["en"])]
    assert any(name.startswith("side-effect-") for name, _, _ in pages), (
        "no published side effects: did published_site publish?"
    )
    answers = "&".join(f"{k}={v}" for k, v in EXPLORER_ANSWERS.items())
    return [
        *pages,
        ("explore-results", f"/explore/?{answers}", 200),
        ("explore-error", "/explore/?grade=bogus", 200),
        ("explore-contradiction", "/explore/?extent=localized&liver=yes", 200),
        ("compare-two", "/compare/?t=surgery&t=hormone-therapy", 200),
        (
            "compare-four",
            "/compare/?t=surgery&t=chemotherapy&t=hormone-therapy&t=interventional-radiology",
            200,
        ),
        ("my-questions-list", "/my-questions/?t=surgery&t=chemotherapy", 200),
        ("my-summary-form", "/my-summary/?liver=yes&t=surgery&t=chemotherapy", 200),
        (
            "my-summary",
            "/my-summary/?liver=yes&t=surgery&t=chemotherapy&m-no-operation=a-lot"
            "&stage=thinking&with=family&lean=none&q=surgery:1&show=1",
            200,
        ),
        ("search-results", "/search/?q=octreotide", 200),
        ("search-nothing", "/search/?q=zzzz", 200),
        ("not-found", "/this-page-does-not-exist/", 404),
    ]


# --- In-page checks, run with page.evaluate -------------------------------------

DESCRIBE = """const describe = el => el.tagName.toLowerCase() +
  (el.id ? '#' + el.id : '') +
  (typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '') +
  (el.getAttribute('href') ? '[href="' + el.getAttribute('href') + '"]' : '') +
  (el.textContent.trim() ? ' "' + el.textContent.trim().slice(0, 40) + '"' : '');"""

HORIZONTAL_OVERFLOW = (
    """() => {
  """
    + DESCRIBE
    + """
  const width = document.documentElement.clientWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth <= width) return null;
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > width + 0.5 && culprits.length < 5) {
      culprits.push(describe(el) + ' ends at ' + Math.round(r.right) + ' px');
    }
  }
  return {scrollWidth, width, culprits};
}"""
)

# WCAG 2.2 SC 2.5.8 Target Size (Minimum): buttons, checkboxes, radios and links
# are at least 24x24 CSS px. Links inside paragraph, list-item or definition text
# are exempt (the "inline" exception); a link that is a heading's own text is not.
TARGET_SIZES = (
    """() => {
  """
    + DESCRIBE
    + """
  const failures = [];
  const targets = document.querySelectorAll(
    'a[href], button, input[type=checkbox], input[type=radio], input[type=submit]'
  );
  for (const el of targets) {
    if (el.closest('.visually-hidden') || el.classList.contains('skip-link')) {
      continue;
    }
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;  // not rendered
    // WCAG 2.5.8's inline exception: a link inside a sentence. A link that is all
    // of its paragraph or list item (a list of links, a footer link) is a target.
    if (el.tagName === 'A') {
      const block = el.parentElement.closest('p, li, dd, dt, h1, h2, h3, h4, h5, h6');
      if (block && ['P', 'LI', 'DD'].includes(block.tagName) &&
          block.textContent.trim() !== el.textContent.trim()) continue;
    }
    const primary = el.matches('.button, .button-primary, .button-secondary, .header-call, .cards-linked .card h2 a, .cards-linked .card h3 a');
    const least = primary ? 43.99 : 23.99;
    if (r.height < least || (!primary && r.width < least)) {
      failures.push(describe(el) + ' is ' + r.width.toFixed(1) + 'x' +
        r.height.toFixed(1) + ' px' + (primary ? ' (a primary target: 44 px)' : ''));
    }
  }
  return failures;
}"""
)

FOCUS_INDICATOR = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {tag: 'body', visible: false};
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = !!s.boxShadow && s.boxShadow !== 'none';
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.name || null,
    href: el.getAttribute('href'), visible: outline || shadow,
  };
}"""

# Records the state of each element that takes focus, in window.focusLog. Focus that
# leaves the page (after its last Tab stop) records nothing; it then comes back to
# the first stop, which is a repeat.
RECORD_FOCUS = (
    """() => {
  window.focusLog = [];
  document.addEventListener('focusin', () => window.focusLog.push(("""
    + FOCUS_INDICATOR
    + """)()));
}"""
)

RUNNING_MOTION = """() => {
  const moving = [];
  const nonZero = value => value.split(',').some(v => parseFloat(v) > 0);
  for (const el of document.querySelectorAll('*')) {
    for (const pseudo of [null, '::before', '::after']) {
      const s = getComputedStyle(el, pseudo);
      const animated = s.animationName !== 'none' && nonZero(s.animationDuration);
      if (nonZero(s.transitionDuration) || animated) {
        moving.push(el.tagName.toLowerCase() + (pseudo || '') + ': transition ' +
          s.transitionDuration + ', animation ' + s.animationDuration);
      }
    }
  }
  return moving.slice(0, 5);
}"""


def press_tab_until(page, condition, limit=80):
    """Press Tab until `condition`, JS about the focused element `el`, holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {condition})(document.activeElement)"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached: {condition}")


def tab_stops(page, limit=40):
    """The state of each Tab stop after the focused one, until one repeats.
    Each focus is recorded as it happens; the log is read every ten presses."""
    page.evaluate(RECORD_FOCUS)
    stops, seen = [], set()
    for _ in range(limit // 10):
        for _ in range(10):
            page.keyboard.press("Tab")
        for state in page.evaluate("window.focusLog.splice(0)"):
            key = (state["tag"], state["id"], state["name"], state["href"])
            if key in seen:
                return stops
            seen.add(key)
            stops.append(state)
    return stops


def reflow_problems(page, reflow):
    """Sideways scrolling at the narrower width, and at 320 px with text at 200 %."""
    problems = []
    page.set_viewport_size(reflow)
    overflow = page.evaluate(HORIZONTAL_OVERFLOW)
    if overflow:
        problems.append(f"scrolls sideways at {reflow['width']} px: {overflow}")
    if reflow["width"] == 320:
        page.evaluate("document.documentElement.style.fontSize = '200%'")
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        page.evaluate("document.documentElement.style.fontSize = ''")
        if overflow:
            problems.append(f"scrolls sideways at 320 px with 200% text: {overflow}")
    return problems


def check_page(page, base, viewport, axe_script, name, path, status):
    """Every check on one page at one viewport; returns a list of problems."""
    problems = []
    size, reflow = VIEWPORTS[viewport]["size"], VIEWPORTS[viewport]["reflow"]
    page.set_viewport_size(size)
    page.emulate_media(media="screen", reduced_motion="no-preference")
    response = page.goto(base + path)
    if response is None or response.status != status:
        return [f"answered {response and response.status}, expected {status}"]

    # axe-core, WCAG 2.0-2.2 A and AA rules.
    problems += [f"axe {line}" for line in axe_violations(page, axe_script)]

    h1s = page.evaluate("document.querySelectorAll('h1').length")
    if h1s != 1:
        problems.append(f"{h1s} h1 elements, expected exactly one")

    problems += [f"target too small: {p}" for p in page.evaluate(TARGET_SIZES)]

    overflow = page.evaluate(HORIZONTAL_OVERFLOW)
    if overflow:
        problems.append(f"scrolls sideways at {size['width']} px: {overflow}")

    save_screenshot(page, f"{name}-{viewport}.png", full_page=True)

    # A page that opens with an error summary puts focus on it, so it is read first.
    if page.locator(".error-summary").count():
        focused = page.evaluate("document.activeElement.className")
        if focused != "error-summary":
            problems.append(f"focus starts on {focused!r}, not the error summary")
        return problems + reflow_problems(page, reflow)

    # The skip link is the first Tab stop, visibly focused, and moves focus to main.
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_INDICATOR)
    if first.get("href") != "#main":
        problems.append(f"the first Tab stop is {first}, not a skip link to #main")
    else:
        if not first["visible"]:
            problems.append("the focused skip link has no outline or box-shadow")
        box = page.locator("a.skip-link").bounding_box()
        if not box or box["y"] < 0 or box["x"] < 0:
            problems.append(f"the focused skip link is off screen: {box}")
        page.keyboard.press("Enter")
        focused = page.evaluate("document.activeElement.id")
        if focused != "main":
            problems.append(f"the skip link moved focus to #{focused}, not to #main")

    # Visible focus on the Tab stops that follow, main content first. The focus
    # styles do not depend on the viewport, so only the desktop run walks them.
    if viewport == "desktop":
        stops = tab_stops(page)
        if not stops:
            problems.append("Tab reached nothing after the skip link")
        problems += [
            f"no visible focus indicator on {state}"
            for state in stops
            if not state["visible"]
        ]

    problems += reflow_problems(page, reflow)

    page.emulate_media(reduced_motion="reduce")
    problems += [
        f"moves despite prefers-reduced-motion: {m}"
        for m in page.evaluate(RUNNING_MOTION)
    ]
    return problems


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_public_page_in_a_browser(
    viewport, browser, axe_script, live_server, published_site
):
    """axe, one h1, skip link, focus, targets, reflow, motion, cookies, hosts."""
    base = live_server.url
    site = urlsplit(base).netloc
    elsewhere = []

    def record_request(request):
        if urlsplit(request.url).netloc != site and not request.url.startswith("data:"):
            elsewhere.append(request.url)

    with browser_page(browser, viewport=VIEWPORTS[viewport]["size"]) as page:
        page.on("request", record_request)
        failures = []
        for name, path, status in pages_to_check():
            problems = check_page(page, base, viewport, axe_script, name, path, status)
            failures += [f"{path} at {viewport}: {problem}" for problem in problems]
        cookies = page.context.cookies()
    if elsewhere:
        failures.append(f"requests to other hosts: {sorted(set(elsewhere))}")
    if cookies:
        failures.append(f"public pages set cookies: {[c['name'] for c in cookies]}")
    assert not failures, f"{len(failures)} problem(s):\n" + "\n".join(failures)


# --- Keyboard-only tasks, with and without JavaScript ----------------------------

# The keys that reach each answer once Tab has entered its radio group: Tab lands
# on the group's first radio (none is checked yet), Space checks it, and each
# ArrowDown moves to and checks the next radio.
KEYS_FOR_ANSWER = [
    ("origin", "gi", []),
    ("grade", "low", []),
    ("hormones", "yes", []),
    ("extent", "localized", []),
    ("liver", "no", ["ArrowDown"]),
    ("removal", "not-sure", ["ArrowDown", "ArrowDown"]),
]


def answer_explorer_by_keyboard(page):
    """Answer every question with Tab, Space and arrows only, then press Enter."""
    for name, value, arrows in KEYS_FOR_ANSWER:
        press_tab_until(page, f"el.name === '{name}'")
        page.keyboard.press("Space")
        for key in arrows:
            page.keyboard.press(key)
        checked = page.evaluate(
            f"document.querySelector('input[name={name}]:checked')?.value"
        )
        assert checked == value, f"the keyboard chose {name}={checked}, not {value}"
    press_tab_until(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def tick_treatments_by_keyboard(page, slugs):
    """Tick each treatment with Tab and Space, then press Enter on the button."""
    for slug in slugs:
        press_tab_until(page, f"el.id === 't-{slug}'")
        page.keyboard.press("Space")
        assert page.is_checked(f"#t-{slug}"), f"Space did not tick {slug}"
    press_tab_until(page, "el.type === 'submit'")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_keyboard_only_tasks(javascript, browser, live_server, published_site):
    """The explorer and the question list work by keyboard alone, with or without JS."""
    with browser_page(browser, java_script_enabled=javascript) as page:
        # 1. Explorer: answer, submit; the answers are in the URL, with reasons.
        page.goto(live_server.url + "/explore/")
        answer_explorer_by_keyboard(page)
        query = parse_qs(urlsplit(page.url).query)
        assert {k: v[0] for k, v in query.items()} == {
            **EXPLORER_ANSWERS,
            "show": "1",
        }, page.url
        for name, value in EXPLORER_ANSWERS.items():  # the answers stay chosen
            assert page.is_checked(f"input[name={name}][value={value}]"), name
        results = page.locator(".results-list > li")
        assert results.count() >= 1, "no treatments listed for these answers"
        for i in range(results.count()):
            card = results.nth(i)
            title = card.locator("h3 a").inner_text()
            reasons = card.locator("ul > li").all_inner_texts()
            assert title, f"result {i + 1} has no title"
            assert reasons or "Kinds that may fit" in card.inner_text(), (
                f"{title!r} is listed without saying why it may fit"
            )
        assert page.locator(".results-list .why").count() >= 1

        # 2. Questions: tick two treatments, submit, see both lists of questions.
        page.goto(live_server.url + "/my-questions/")
        tick_treatments_by_keyboard(page, ["surgery", "chemotherapy"])
        assert parse_qs(urlsplit(page.url).query) == {"t": ["surgery", "chemotherapy"]}
        sheets = page.locator("section.question-sheet")
        assert sheets.locator("h2").all_inner_texts() == ["Surgery", "Chemotherapy"]
        for i in range(2):
            assert sheets.nth(i).locator("ol > li").count() >= 1, "no questions"

        # 3. Printed: no navigation or form; each later sheet starts a new page.
        page.emulate_media(media="print")
        for selector in (".site-nav", "form.pick-treatments"):
            display = page.eval_on_selector(
                selector, "el => getComputedStyle(el).display"
            )
            assert display == "none", f"{selector} is printed (display: {display})"
        breaks = page.eval_on_selector_all(
            "section.question-sheet",
            "els => els.map(el => getComputedStyle(el).breakBefore)",
        )
        assert breaks[0] != "page", "the first sheet would follow a blank page"
        assert all(b == "page" for b in breaks[1:]), breaks


# --- Deciding: the explorer's answer in the first screen, compare that fits ------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_after_submitting_the_explorer_the_results_are_in_the_first_screen(
    viewport, browser, axe_script, live_server, published_site
):
    """No JavaScript: the form goes to #results, which starts with what the patient said."""
    size = VIEWPORTS[viewport]["size"]
    with browser_page(browser, viewport=size, java_script_enabled=False) as page:
        page.goto(live_server.url + "/explore/")
        page.check("#id_origin_0")
        page.check("#id_liver_0")
        page.check("#id_hormones_0")
        page.click("button[type=submit]")
        page.wait_for_load_state()
        assert urlsplit(page.url).fragment == "results"
        assert parse_qs(urlsplit(page.url).query) == {
            "origin": ["gi"],
            "hormones": ["yes"],
            "liver": ["yes"],
            "show": ["1"],
        }
        scrolled = page.evaluate("window.scrollY")
        heading = page.locator("#results-heading").bounding_box()
        first_card = page.locator("ul.results-list > li").first.bounding_box()
        summary = page.locator("p.answer-summary").inner_text()
        save_screenshot(page, f"explore-first-screen-{viewport}.png")
    # The browser scrolled to #results: its heading is at the top of the screen.
    assert -2 <= heading["y"] < size["height"] / 4, (scrolled, heading)
    assert first_card["y"] < size["height"] - 100, first_card
    assert summary.startswith(
        "You told us: your care team said it started in the digestive (GI) tract"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_four_options_compare_without_sideways_scrolling_and_print_with_the_phone(
    viewport, browser, axe_script, live_server, published_site
):
    size = VIEWPORTS[viewport]["size"]
    path = "/compare/?t=surgery&t=chemotherapy&t=hormone-therapy&t=interventional-radiology"
    with browser_page(browser, viewport=size) as page:
        page.goto(live_server.url + path)
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        violations = axe_violations(page, axe_script)
        # Each answer on a phone is labelled with its option; on a wide screen the
        # option names head the columns.
        label = page.evaluate(
            "getComputedStyle(document.querySelector('.compare tbody td'), '::before').content"
        )
        page.emulate_media(media="print")
        printed_phone = page.locator("footer .print-only").is_visible()
        printed_text = page.locator("footer .print-only").inner_text()
        pdf_pages = None
        if viewport == "desktop":
            pdf = page.pdf(format="Letter")
            pdf_pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
            if TAKE_SCREENSHOTS:
                (SCREENSHOT_DIR / "compare-print.pdf").write_bytes(pdf)
    assert overflow is None, overflow
    assert violations == []
    assert label == ('"Surgery"' if viewport == "mobile" else "none")
    assert printed_phone and "(888) 552-6760" in printed_text
    if pdf_pages is not None:
        assert 1 <= pdf_pages <= 2, pdf_pages


# --- A phone in a waiting room: what the first screen shows, what paper shows ----------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_the_answer_is_in_the_first_screen_and_paper_has_the_phone(
    browser, live_server, published_site
):
    problems = []
    with browser_page(browser, viewport={"width": 375, "height": 800}) as page:
        page.goto(live_server.url + "/")
        card = page.locator("#options .card").first.bounding_box()
        if card["y"] + 40 > 800:
            problems.append(f"the first treatment card starts at {card['y']:.0f} px")
        for slug in TREATMENT_SLUGS:
            page.goto(f"{live_server.url}/treatments/{slug}/")
            points = page.locator(".key-points").bounding_box()
            if points is None or points["y"] > 600:
                problems.append(f"{slug}: the key points start at {points}")
            if not page.locator("nav.contents a").count():
                problems.append(f"{slug}: no contents list")
        for path in [p for _, p, status in pages_to_check() if status == 200] + [
            "/my-questions/print/?t=surgery"
        ]:
            page.goto(live_server.url + path)
            page.emulate_media(media="print")
            phone = page.locator("footer .print-only")
            if not phone.is_visible() or "(888) 552-6760" not in phone.inner_text():
                problems.append(f"{path}: no phone number on paper")
            page.emulate_media(media="screen")
    assert problems == []

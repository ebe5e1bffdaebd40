"""Accessibility of every page in a real browser (issue 9, item 2).

One headless Chromium visits every HTML page of ``RULES`` (tests/test_url_access.py) that answers
200 to a participant, a committee member or a coordinator, as each of them, and the public pages
logged out. On each page:

- axe-core (npm package, ``npm ci``) reports no violation of impact serious or critical;
- every visible interactive element is reached with Tab and shows a focus indicator;
- on a phone (390×844) the page does not scroll horizontally.

axe-core is injected with ``add_script_tag`` in a context that bypasses the site's CSP (which
forbids inline scripts). Without ``node_modules/axe-core`` the test is skipped on a developer's
machine and fails in CI (CI set), like the other browser tests.
"""

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Finding, Question
from governance.models import Decision
from sessions.models import Registration
from tests import factories
from tests.browser import DESKTOP, PHONE, browser_marks
from tests.factories_committee import fill_committee
from tests.factories_evaluation import answer, participants
from tests.factories_networks import add_partnerships
from tests.test_url_access import OK, RULES, url_kwargs, world  # noqa: F401 (world is a fixture)

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    *browser_marks,
    pytest.mark.skipif(
        not AXE.exists() and not os.environ.get("CI"),
        reason="axe-core is not installed (node_modules/axe-core/axe.min.js): run `npm ci`",
    ),
]

# GET routes that answer something other than an HTML page (files, JSON, calendars) or that are
# not part of the site's pages (the benchmark page).
NOT_PAGES = {
    "healthz",
    "readyz",
    "sessions:ics",
    "sessions:feed",
    "community:resource_download",
    "evaluation_results:export_csv",
    "evaluation_results:export_xlsx",
    "documents:download",
    "privacy:my_data",  # the JSON export of the person's data (a download)
}
LOGGED_IN_ROLES = ("owner", "committee", "coordinator")
# Forms sent once more with wrong or missing values, to check the page that shows the errors:
# (URL name, role, {field name: value typed before sending}).
FORMS_WITH_ERRORS = [
    ("accounts:login", "anon", {"username": "inconnu@example.org", "password": "pas-le-bon"}),
    ("accounts:password_reset", "anon", {"email": "pas-une-adresse"}),
    ("accounts:password_change", "owner", {}),
    ("networks:partnership_add", "owner", {}),
    ("networks:obstacle_add", "owner", {}),
    ("networks:action_add", "owner", {}),
    ("invitations:invite", "coordinator", {"email": "pas-une-adresse"}),
]
ERRORS_SHOWN = ".is-invalid, .invalid-feedback, .alert-danger, .errorlist"
SERIOUS = {"serious", "critical"}


def require_axe():
    """In CI (where the skip above does not apply) a missing axe-core fails with this message."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed ({AXE.relative_to(settings.BASE_DIR)}): run `npm ci`")


def pages_to_check():
    """(URL name, role): public pages logged out, every other page as each role that may see it."""
    found = []
    for name, row in sorted(RULES.items()):
        if row["method"] != "get" or name in NOT_PAGES:
            continue
        if row["anon"] == OK:
            found.append((name, "anon"))
            continue
        found.extend((name, role) for role in LOGGED_IN_ROLES if row[role] == OK)
    return found


def enrich(users, objects):
    """Real content on every page: lists with several rows, answers above the disclosure threshold,
    attendance to mark, findings, a committee with meetings and decisions."""
    edition, session = objects["edition"], objects["session"]
    enrolment = objects["enrolment"]
    add_partnerships(enrolment, 3)
    # Long words a phone must wrap: an e-mail address, a partner's name, a web address.
    factories.ParticipantFactory(
        enrolment=enrolment,
        user__email="marie-christine.delaporte-dupont@federation-nationale-des-associations.example.org",
        user__first_name="Marie-Christine",
        job_title="Déléguée générale aux partenariats institutionnels",
    )
    factories.PartnershipFactory(
        enrolment=enrolment, partner_name="Communauté-d'agglomération-de-Saint-Quentin-en-Yvelines-Métropole"
    )
    factories.AnnouncementFactory(
        programme=edition,
        title="Ressources de la session",
        body="Le support est en ligne : https://www.example.org/ressources/alliances-innovantes/2018/session-3/support",
        published_at=timezone.now() - dt.timedelta(days=1),
    )
    factories.ObstacleFactory(enrolment=enrolment)
    factories.RoadmapActionFactory(roadmap=objects["action"].roadmap)
    factories.TopicProposalFactory(session=session, title="Mécénat de compétences et territoires")
    factories.AnnouncementFactory(programme=edition, published_at=timezone.now() - dt.timedelta(days=2))
    cohort = participants(edition, 6)
    for index, person in enumerate(cohort):
        factories.RegistrationFactory(
            session=session,
            participant=person,
            rsvp=Registration.Rsvp.CONFIRMED,
            attendance=Registration.Attendance.PRESENT if index % 2 else "",
        )
    questionnaire = objects["questionnaire"]
    questions = list(questionnaire.questions.all())
    questions.append(factories.QuestionFactory(questionnaire=questionnaire, kind=Question.Kind.TEXT, order=9))
    for index, person in enumerate(cohort):
        answer(
            questionnaire,
            person,
            {q: (index % 5) + 1 if q.kind == Question.Kind.SCALE else "Très utile." for q in questions},
        )
    for kind in Finding.Kind.values:
        factories.FindingFactory(programme=edition, kind=kind)
    fill_committee(objects["committee"], members=3, meetings=2, decisions=4)
    factories.DecisionFactory(meeting=objects["meeting"], status=Decision.Status.OPEN)


def log_in_context(context, base_url, user):
    """Give the browser context the session of ``user`` (the test client's ``force_login``)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": base_url}])


# Every visible element a keyboard user must reach, and a tab walk that records what gets focus.
KEYBOARD_SCRIPT = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const visible = (el) => {
    if (el.closest('[hidden], [inert]')) return false;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') return false;
    return el.getClientRects().length > 0;
  };
  const native = (el) => el.matches('a[href], button, input, select, textarea, summary');
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (text ? ' «' + text.slice(0, 40) + '»' : '');
  };
  const problems = [];
  const wanted = [];
  document.querySelectorAll(selector).forEach((el, index) => {
    if (!visible(el) || el.disabled) return;
    const tabindex = el.getAttribute('tabindex');
    if (!native(el)) {
      // A focus target for the skip link or a script (tabindex -1) is not an action.
      if (tabindex === null || Number(tabindex) < 0) return;
    }
    if (tabindex !== null && Number(tabindex) > 0) problems.push('positive tabindex on ' + describe(el));
    if (native(el) && tabindex !== null && Number(tabindex) < 0) problems.push('tabindex=-1 on ' + describe(el));
    el.dataset.a11yKey = String(index);
    wanted.push(el);
  });
  document.querySelectorAll('[onclick], [data-bs-toggle]').forEach((el) => {
    if (!native(el) && !(el.tabIndex >= 0 && el.hasAttribute('tabindex'))) {
      problems.push('click handler on a non-focusable element ' + describe(el));
    }
  });
  return {count: wanted.length, problems};
}
"""

FOCUS_STATE_SCRIPT = """
() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  // Chromium's date and time fields end with their own calendar button, inside the browser's
  // shadow tree: the field is then the active element without matching :focus, and the browser
  // draws the button's ring itself (static/css/alliances.css styles it).
  const pickerButton = /^(date|time|datetime-local|month|week)$/.test(el.type || '') && !el.matches(':focus');
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
  return {
    key: el.dataset.a11yKey || null,
    radio: el.type === 'radio' ? el.name : null,
    visible: outline || shadow || pickerButton,
    what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (text ? ' «' + text.slice(0, 40) + '»' : ''),
  };
}
"""

MISSED_SCRIPT = """
(reached) => {
  const seen = new Set(reached.keys);
  const radios = new Set(reached.radios);
  const missed = [];
  document.querySelectorAll('[data-a11y-key]').forEach((el) => {
    if (seen.has(el.dataset.a11yKey)) return;
    if (el.type === 'radio' && radios.has(el.name)) return;  // one Tab stop per radio group
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim();
    missed.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (text ? ' «' + text.slice(0, 40) + '»' : ''));
  });
  return missed;
}
"""

OVERFLOW_SCRIPT = """
() => {
  const width = window.innerWidth;
  const total = document.documentElement.scrollWidth;
  if (total <= width) return null;
  const culprits = [];
  document.querySelectorAll('body *').forEach((el) => {
    const rect = el.getBoundingClientRect();
    if (rect.right > width + 1 && !(el.parentElement && el.parentElement.getBoundingClientRect().right > width + 1)) {
      culprits.push(el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''));
    }
  });
  return {total, width, culprits: culprits.slice(0, 5)};
}
"""


STYLES_LOADED_SCRIPT = """
() => getComputedStyle(document.body).display === 'flex'
  && getComputedStyle(document.querySelector('.navbar')).backgroundColor === 'rgb(10, 88, 202)'
"""


def check_axe(page):
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:6])
        for violation in result["violations"]
        if violation["impact"] in SERIOUS
    ]


def check_keyboard(page):
    found = page.evaluate(KEYBOARD_SCRIPT)
    problems = list(found["problems"])
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    keys, radios, first = [], [], None
    for _ in range(found["count"] + 15):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUS_STATE_SCRIPT)
        if state is None:
            continue
        if state["key"] is not None and state["key"] == first:
            break  # round trip: back to the first element
        first = first or state["key"]
        if state["key"] is not None:
            keys.append(state["key"])
        if state["radio"]:
            radios.append(state["radio"])
        if not state["visible"]:
            problems.append(f"no visible focus on {state['what']}")
    assert keys, "the Tab key reached nothing"  # at least the skip link
    problems.extend(
        f"not reachable with Tab: {what}" for what in page.evaluate(MISSED_SCRIPT, {"keys": keys, "radios": radios})
    )
    return problems


def check_phone(page):
    page.set_viewport_size(PHONE)
    try:
        page.wait_for_timeout(50)
        overflow = page.evaluate(OVERFLOW_SCRIPT)
    finally:
        page.set_viewport_size(DESKTOP)
    if overflow is None:
        return []
    return [f"scrolls horizontally at 390 px: {overflow['total']} px wide, from {', '.join(overflow['culprits'])}"]


@pytest.mark.django_db(transaction=True)
def test_every_page_is_accessible(live_server, chromium, world):  # noqa: F811 (world is a fixture)
    require_axe()
    users, objects = world
    enrich(users, objects)
    contexts = {}
    for role in ("anon", *LOGGED_IN_ROLES):
        context = chromium.new_context(locale="fr-FR", viewport=DESKTOP, bypass_csp=True)
        if users[role] is not None:
            log_in_context(context, live_server.url, users[role])
        page = context.new_page()
        page.set_default_timeout(15_000)
        contexts[role] = page

    checked = pages_to_check()
    names = {name for name, _role in checked}
    assert {
        "accounts:login",
        "accounts:password_reset",
        "accounts:invitation_accept",
        "privacy:policy",
        "portal:home",
        "community:attendance",
        "documents:dashboard",
        "findings:index",
        "committee:meeting",
        "evaluation_results:questionnaire",
        "recruitment:funnel",
    } <= names, names
    failures = []
    started = time.monotonic()
    for name, role in checked:
        page = contexts[role]
        url = reverse(name, kwargs=url_kwargs(name, objects))
        response = page.goto(live_server.url + url)
        where = f"{name} as {role} ({url})"
        assert response.status == 200, f"{where}: {response.status}"
        assert response.headers["content-type"].startswith("text/html"), where
        # Bootstrap and static/css/alliances.css are applied (the checks mean nothing without them).
        assert page.evaluate(STYLES_LOADED_SCRIPT), f"{where}: the stylesheets did not load"
        problems = [*check_axe(page), *check_keyboard(page), *check_phone(page)]
        failures.extend(f"{where}: {problem}" for problem in problems)
    for name, role, values in FORMS_WITH_ERRORS:
        page = contexts[role]
        url = reverse(name, kwargs=url_kwargs(name, objects))
        page.goto(live_server.url + url)
        for field, value in values.items():
            page.fill(f"main form [name={field}]", value)
        with page.expect_navigation():
            page.locator("main form[method=post] [type=submit]").first.click()
        where = f"{name} as {role}, form with errors ({url})"
        assert page.locator(ERRORS_SHOWN).count(), f"{where}: no error shown"
        problems = [*check_axe(page), *check_keyboard(page), *check_phone(page)]
        failures.extend(f"{where}: {problem}" for problem in problems)
    elapsed = time.monotonic() - started
    print(f"{len(checked)} pages and {len(FORMS_WITH_ERRORS)} forms with errors checked in {elapsed:.1f} s")
    assert not failures, f"{len(failures)} accessibility problems:\n" + "\n".join(failures)


@pytest.mark.django_db(transaction=True)
def test_menus_open_with_the_keyboard_on_a_phone(live_server, chromium, world):  # noqa: F811
    users, _objects = world
    context = chromium.new_context(locale="fr-FR", viewport=PHONE, bypass_csp=True)
    log_in_context(context, live_server.url, users["owner"])
    page = context.new_page()
    page.goto(live_server.url + reverse("portal:home"))
    menu = page.locator("#nav-principale")
    assert not menu.is_visible()
    toggler = page.locator(".navbar-toggler")
    toggler.focus()
    page.keyboard.press("Enter")
    menu.locator("a", has_text="Mon réseau").first.wait_for(state="visible")
    page.locator("#nav-principale.collapse.show").wait_for()  # the opening transition is over
    assert toggler.get_attribute("aria-expanded") == "true"
    # The menu's links follow the toggler in the Tab order.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('nav-principale').contains(document.activeElement)")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Space")
    menu.wait_for(state="hidden")


BROKEN_PAGE = """<!DOCTYPE html><html lang="fr"><head><title>Cassée</title>
<style>a.no-ring:focus-visible { outline: none; box-shadow: none; } .wide { width: 900px; }</style></head>
<body><main><h1>Cassée</h1>
<a href="#a" tabindex="3">En avance</a>
<button type="button" tabindex="-1">Hors du parcours</button>
<div onclick="void 0">Cliquable</div>
<a class="no-ring" href="#b">Sans contour</a>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<div class="wide">Large</div>
</main></body></html>"""


def test_the_checks_catch_known_problems(chromium):
    """Each check fails on a page built to fail it (so that a silent check cannot pass the pages)."""
    require_axe()
    context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
    page = context.new_page()
    page.set_content(BROKEN_PAGE)
    axe = check_axe(page)
    assert any(problem.startswith("image-alt (critical)") for problem in axe), axe
    keyboard = check_keyboard(page)
    assert any(problem.startswith("positive tabindex on a") for problem in keyboard), keyboard
    assert "tabindex=-1 on button «Hors du parcours»" in keyboard, keyboard
    assert "click handler on a non-focusable element div «Cliquable»" in keyboard, keyboard
    assert "no visible focus on a «Sans contour»" in keyboard, keyboard
    assert "not reachable with Tab: button «Hors du parcours»" in keyboard, keyboard
    phone = check_phone(page)
    assert phone and "div.wide" in phone[0], phone
    context.close()

"""Junk in any GET parameter answers 200, 302 or 400, never 500 (issue 13, item 8).

Property-based (hypothesis): every registered ModelAdmin's changelist, as a superuser and as the
edition's coordinator, gets random values for every parameter it reads — each list filter's
``expected_parameters()``, search ``q``, ordering ``o``, page ``p``, ``e``, ``all``, ``_to_field``,
``_popup``, ``_facets`` and the date hierarchy's ``__year/__month/__day`` —, every add form gets
them for each of its fields (the admin takes initial values from the query string), and every GET page of
the portal, committee area and coordination (the ``RULES`` table of ``tests/test_url_access.py``)
gets random values for the parameters it reads: the fields of its GET forms, the parameters of
its own links, and every ``request.GET.get("…")`` name found in the project's code.

Besides the random draws, each parameter gets the classic values explicitly (text where an id is
expected, an integer past the database's, a NUL character): PostgreSQL refuses NUL in any string
(« A string literal cannot contain NUL »), so this module must also run there.

The data: one edition of the scale generator (every changelist has rows), built once for the
module and rolled back at the end. ``ALLIANCES_FUZZ_EXAMPLES`` (default 5) sets the number of
random draws per page and role; the explicit ones come on top.
"""

import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.main import (
    ALL_VAR,
    ERROR_FLAG,
    IS_FACETS_VAR,
    IS_POPUP_VAR,
    ORDER_VAR,
    PAGE_VAR,
    SEARCH_VAR,
    TO_FIELD_VAR,
)
from django.core.exceptions import FieldDoesNotExist
from django.db import models as django_models
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import NoReverseMatch, resolve, reverse
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from alliances.management.commands.generate_scale_data import generate_scale_data
from tests import factories
from tests.test_scale_query_counts import GROUPS, PAGES, PROJECT_APPS, SEED, _first_edition_world, _third_party_rows
from tests.test_scale_query_counts import _url as page_url

pytestmark = pytest.mark.django_db

ACCEPTED = {200, 302, 400}
EXAMPLES = int(os.environ.get("ALLIANCES_FUZZ_EXAMPLES", "5"))
FUZZ = hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # every run draws afresh: no example database to keep between runs
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values that broke pages before (an id that is text, an id past 64 bits, a NUL), and other usual suspects.
CLASSIC = ["abc", "99999999999999999999"]
NUL = "x\x00y"
SUSPECTS = [
    "",
    " ",
    "0",
    "-1",
    "1.5",
    "1e9",
    "2018-02-30",
    "2018-09-20",
    "2018-09-20 09:30",  # a valid date-time, as text: the admin's split widget called .date() on it
    "2018-13",
    "None",
    "true",
    "'",
    '"',
    "%",
    "_",
    "\\",
    "__",
    "1,2",
    "-",
    "--1",
    "é",
    "<script>",
    "x" * 300,
    "\x00",
    "\ud7ff",
    "9" * 40,
]
junk = st.one_of(st.sampled_from(CLASSIC + SUSPECTS), st.text(max_size=40), st.integers().map(str))


def _fuzz(client, url, names, object_parameters=(), explicit=None):
    """Random values for any subset of ``names``; each of the ``explicit`` names (default: all)
    alone with each classic value, and one with a NUL (refused by a middleware, whichever name).

    ``object_parameters`` name an object the way a path's id does: a value naming none that the
    viewer may reach is a 404 there, as for an id in a path (no telling « not yours » from « none »).
    """

    @FUZZ
    @given(params=st.fixed_dictionaries({}, optional=dict.fromkeys(sorted(names), junk)))
    def run(params):
        response = client.get(url, params)
        accepted = ACCEPTED | ({404} if set(object_parameters) & params.keys() else set())
        assert response.status_code in accepted, f"{url} {params!r}: {response.status_code}"

    explicit = sorted(names if explicit is None else explicit)
    for name in explicit:
        for value in CLASSIC:
            run = example(params={name: value})(run)
    run = example(params={(explicit or sorted(names))[0]: NUL})(run)
    run()


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """One generated edition, its people and objects, and a superuser; rolled back at the end.

    Module-scoped, hence its own copy of tests/conftest.py's settings (function-scoped there)."""
    media = tmp_path_factory.mktemp("media")
    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        MEDIA_ROOT=media,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        REDIS_URL="",  # healthz checks the database only
    )
    with django_db_blocker.unblock(), overrides, transaction.atomic():
        generate_scale_data(1, SEED)
        users, objects = _first_edition_world()
        _third_party_rows()
        users["superuser"] = factories.UserFactory(is_staff=True, is_superuser=True, email="fuzz-admin@example.org")
        objects["media"] = media
        yield users, objects
        transaction.set_rollback(True)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


# --- Admin changelists ----------------------------------------------------------------------------


# Read by Django's changelist itself, the same way for every admin: random values only.
DJANGO_PARAMETERS = {PAGE_VAR, ERROR_FLAG, ALL_VAR, TO_FIELD_VAR, IS_POPUP_VAR, IS_FACETS_VAR}


def _changelist_parameters(model_admin, user):
    """The GET parameters the changelist reads that depend on its admin, as it is built for ``user``:
    search and ordering (its fields), its list filters, its date hierarchy."""
    request = RequestFactory().get("/")
    request.user = user
    changelist = model_admin.get_changelist_instance(request)
    names = {SEARCH_VAR, ORDER_VAR}
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


def _admin_label(model):
    return f"{model._meta.app_label}.{model._meta.model_name}"


ADMIN_MODELS = sorted(admin.site._registry, key=_admin_label)


@pytest.mark.parametrize("role", ["superuser", "coordinator"])
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=_admin_label)
def test_changelist_answers_junk_parameters_without_error(fuzz_world, model, role):
    users, _objects = fuzz_world
    if role == "coordinator" and model._meta.app_label not in PROJECT_APPS:
        pytest.skip("coordinators get a 403 from the libraries' admins (tests/alliances/test_admin.py)")
    model_admin = admin.site._registry[model]
    client = _client(users[role])
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    response = client.get(url)
    assert response.status_code == 200, f"{url} as {role}: {response.status_code}"
    names = _changelist_parameters(model_admin, users[role])
    _fuzz(client, url, names | DJANGO_PARAMETERS, explicit=names)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=_admin_label)
def test_add_form_answers_junk_initial_values_without_error(fuzz_world, model):
    """The admin's add forms take their initial values from the query string (``?programme=3``).

    As a superuser only: a coordinator's add forms are the same forms through the same code
    (``clean_initial_data``), with scoped choices; that halves the cost of this test."""
    users, _objects = fuzz_world
    role = "superuser"
    client = _client(users[role])
    try:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
    except NoReverseMatch:
        pytest.skip("no add form")
    response = client.get(url)
    if response.status_code == 403:
        pytest.skip(f"{role} may not add {model._meta.label}")
    assert response.status_code == 200, f"{url} as {role}: {response.status_code}"
    names = set(response.context["adminform"].form.fields)
    # Text fields take any text: the classic values go to the fields whose value is converted.
    _fuzz(client, url, names, explicit={name for name in names if _converted(model, name)})


def _converted(model, name):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return True
    return field.is_relation or not isinstance(field, django_models.CharField | django_models.TextField)


def test_the_parameters_include_the_custom_filters(fuzz_world):
    """The enumeration sees the project's own filters (the cases of issue 13)."""
    from alliances.models import User

    names = _changelist_parameters(admin.site._registry[User], fuzz_world[0]["superuser"])
    assert {"edition", "is_staff__exact", "date_joined__year", "date_joined__month"} <= names


def test_the_cases_of_the_issue(fuzz_world):
    users, _objects = fuzz_world
    client = _client(users["superuser"])
    response = client.get("/admin/alliances/user/?edition=abc")
    assert response.status_code == 302 and response.url.endswith("?e=1")
    assert client.get("/admin/alliances/user/?edition=99999999999999999999").status_code == 302
    assert client.get("/admin/networks/enrolment/?status__exact=a%00b").status_code == 400
    # The coordinator cannot filter on an edition they do not coordinate, even a real one.
    other = factories.ProgrammeFactory(slug="fuzz-autre-edition")
    coordinator = _client(users["coordinator"])
    assert coordinator.get(f"/admin/alliances/user/?edition={other.pk}").status_code == 302
    mine = users["coordinator"].programmes_coordinated.get()
    assert coordinator.get(f"/admin/alliances/user/?edition={mine.pk}").status_code == 200


def test_add_forms_keep_the_initial_values_they_can_hold(fuzz_world):
    users, objects = fuzz_world
    client = _client(users["coordinator"])
    url = reverse("admin:networks_partnership_add")
    for junk in ("abc", "99999999999999999999"):  # an autocomplete looked these up: a 500
        response = client.get(url, {"enrolment": junk})
        assert response.status_code == 200
        assert response.context["adminform"].form.initial.get("enrolment") is None
    enrolment = objects["enrolment"]
    response = client.get(url, {"enrolment": str(enrolment.pk)})
    assert response.context["adminform"].form.initial["enrolment"] == enrolment.pk
    # A date-time as text: Django's split widget called .date() on it.
    response = client.get(reverse("admin:programme_sessions_session_add"), {"starts_at": "2018-09-20 09:30"})
    assert response.status_code == 200
    assert 'name="starts_at_0" value="20/09/2018"' in response.content.decode()
    # A library's admin too: Celery beat's time-zone field opened a file named after the value.
    superuser = _client(users["superuser"])
    response = superuser.get(reverse("admin:django_celery_beat_crontabschedule_add"), {"timezone": "x" * 300})
    assert response.status_code == 200


# --- Portal, committee area and coordination pages -------------------------------------------------


class _GetParameters(HTMLParser):
    """Names of the fields of a page's GET forms and of the query strings of its links."""

    def __init__(self):
        super().__init__()
        self.names = set()
        self._in_get_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_get_form = (attrs.get("method") or "get").lower() == "get"
        elif tag in {"input", "select", "textarea", "button"} and self._in_get_form and attrs.get("name"):
            self.names.add(attrs["name"])
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.names.update(name for name, _value in parse_qsl(urlsplit(attrs["href"]).query, keep_blank_values=True))

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_get_form = False


_CODE_NAME = re.compile(r"""request\.GET(?:\.get\(|\[)\s*["']([\w-]+)["']""")


def _names_read_in_code():
    """Every ``request.GET.get("name")`` / ``request.GET["name"]`` of the project's apps, by module."""
    root = Path(settings.BASE_DIR)
    found = {}
    for app in ("alliances", "networks", "sessions", "governance", "evaluation"):
        for path in (root / app).rglob("*.py"):
            names = set(_CODE_NAME.findall(path.read_text()))
            if names:
                found[".".join(path.relative_to(root).with_suffix("").parts)] = names
    return found


CODE_NAMES = _names_read_in_code()
# Names read by shared helpers (the paginator's ``page``…) may reach any page; those read in a
# views module, only the pages that module serves.
SHARED_NAMES = set().union(*(names for module, names in CODE_NAMES.items() if "views" not in module))


def _code_names(url):
    return SHARED_NAMES | CODE_NAMES.get(resolve(urlsplit(url).path).func.__module__, set())


# Parameters that name an object the viewer must be able to reach (the edition of the committee
# area's findings, by slug): another edition's, or none, is a 404 (tests/evaluation/test_committee_findings.py).
OBJECT_PARAMETERS = {"findings:index": {"edition"}}
PAGE_CASES = [(group, name) for group in GROUPS for name in PAGES[group]]


def test_the_code_scan_finds_the_parameters_read_directly(fuzz_world):
    _users, objects = fuzz_world
    assert "page" in SHARED_NAMES
    assert {"edition"} <= _code_names(reverse("findings:index"))
    assert {"vue", "q"} <= _code_names(page_url("evaluation_results:questionnaire", objects))
    assert "vue" not in _code_names(reverse("portal:home"))


@pytest.mark.parametrize(("group", "name"), PAGE_CASES, ids=[f"{g}-{n}" for g, n in PAGE_CASES])
def test_page_answers_junk_parameters_without_error(fuzz_world, settings, group, name):
    users, objects = fuzz_world
    settings.MEDIA_ROOT = objects["media"]  # where the module's files are (conftest points each test elsewhere)
    client = _client(users[GROUPS[group]])
    url = page_url(name, objects)
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    names = _code_names(url)
    if not response.streaming and response.get("Content-Type", "").startswith("text/html"):
        parser = _GetParameters()
        parser.feed(response.content.decode())
        names |= parser.names
    names.discard("csrfmiddlewaretoken")
    _fuzz(client, url, names, OBJECT_PARAMETERS.get(name, ()))


def test_a_page_parses_its_get_forms(fuzz_world):
    """The HTML scan sees the fields of a filter form (the partnerships' inventory)."""
    users, objects = fuzz_world
    response = _client(users["owner"]).get(page_url("networks:partnerships", objects))
    parser = _GetParameters()
    parser.feed(response.content.decode())
    assert len(parser.names) >= 3, parser.names


# --- The pieces: NUL characters, the filters' check ---------------------------------------------


def test_a_nul_in_the_query_string_or_the_path_is_a_french_400(fuzz_world):
    users, _objects = fuzz_world
    client = _client(users["owner"])
    for url in ("/portail/reseau/partenariats/?q=a%00b", "/portail/?a%00=1", "/portail/reseau/partenariats%00/"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Adresse invalide" in response.content.decode()
    assert client.get("/portail/reseau/partenariats/?q=ab").status_code == 200


def test_a_nul_in_a_form_is_a_field_error_not_a_crash(fuzz_world):
    """POSTed forms need no middleware: Django's fields refuse a NUL (on PostgreSQL too)."""
    from networks.models import Obstacle

    users, _objects = fuzz_world
    client = _client(users["owner"])
    before = Obstacle.objects.count()
    response = client.post(
        reverse("networks:obstacle_add"), {"category": "x", "description": "a\x00b", "severity": "1"}
    )
    assert response.status_code == 200
    assert "Le caractère nul n’est pas autorisé." in response.content.decode()
    assert Obstacle.objects.count() == before


def test_a_custom_list_filter_must_check_its_values():
    from alliances.admin_scoping import ProgrammeScopedAdmin
    from alliances.models import Theme

    class UncheckedFilter(admin.SimpleListFilter):
        title = "x"
        parameter_name = "x"

        def lookups(self, request, model_admin):
            return [("1", "un")]

        def queryset(self, request, queryset):
            return queryset.filter(pk=self.value()) if self.value() else queryset

    class ThemeAdmin(ProgrammeScopedAdmin):
        programme_path = "programme"
        list_filter = (UncheckedFilter,)

    errors = ThemeAdmin(Theme, admin.AdminSite()).check()
    assert [error.id for error in errors] == ["alliances.E003"]

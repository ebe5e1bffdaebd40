"""The admin's model list is Django's own ``admin/app_list.html`` (not overridden), and the index's
groups by task (templates/admin/_task_groups.html) write each group exactly as that template writes an
application, so a Django upgrade that changes it makes this test fail rather than the admin drift.

Then the index laid out for the work (alliances/admin_index.py): « Mes éditions » with the pages
that run each edition, the models grouped by task, at a fixed number of queries."""

import datetime as dt
import re
from pathlib import Path

import django.contrib.admin
import pytest
from django.contrib import admin
from django.db import connection
from django.template import Context, Engine, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from alliances import admin_index
from tests import factories

DJANGO_TEMPLATES = Path(django.contrib.admin.__file__).parent / "templates"
DJANGO_TEMPLATE = DJANGO_TEMPLATES / "admin" / "app_list.html"


def _normalised(html):
    """Whitespace between and inside tags does not matter to the browser's rendering of this list."""
    html = re.sub(r">\s+<", "><", html.strip())
    html = re.sub(r">\s+", ">", html)
    return re.sub(r"\s+<", "<", html)


def _app_list(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response


def test_the_sidebar_is_djangos_own_app_list(client, superuser):
    response = _app_list(client, superuser, reverse("admin:networks_enrolment_changelist"))
    origins = {Path(t.origin.name) for t in response.templates if t.name == "admin/app_list.html"}
    assert origins == {DJANGO_TEMPLATE}
    page = response.content.decode()
    assert 'class="app-networks module current-app"' in page and 'aria-current="page"' in page


def _task_groups(app_list, request):
    template = Template("{% load admin_app_list %}{% admin_task_groups app_list %}")
    return template.render(Context({"app_list": app_list, "request": request}))


def _as_django_writes_it(task, title, models, request):
    """Django's app_list.html for one application holding the group's models, its caption the task's."""
    engine = Engine(libraries={"i18n": "django.templatetags.i18n"})
    app = {"app_label": f"task-{task}", "name": title, "app_url": "/an-application/", "models": models}
    html = _normalised(
        engine.from_string(DJANGO_TEMPLATE.read_text()).render(
            Context({"app_list": [app], "show_changelinks": True, "request": request})
        )
    )
    html = html.replace(f'<div class="app-task-{task} module">', f'<div class="task-{task} module">', 1)
    return re.sub(r"<caption><a [^>]*>(.*?)</a></caption>", r"<caption>\1</caption>", html, count=1)


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("who", ["superuser", "coordinator"])
def test_each_task_group_is_written_as_djangos_template_writes_an_application(
    client, superuser, coordinator, who, language
):
    user = {"superuser": superuser, "coordinator": coordinator}[who]
    path = reverse("admin:networks_enrolment_changelist")  # a current model
    app_list = _app_list(client, user, path).context["available_apps"]
    request = RequestFactory().get(path)
    with translation.override(language):
        ours = _normalised(_task_groups(app_list, request))
        groups = admin_index.group_by_task(app_list)
        assert len(groups) > 1
        for task, title, models in groups:
            expected = _as_django_writes_it(task, title, models, request)
            assert expected in ours, task
    assert 'aria-current="page"' in ours and "current-model" in ours
    assert ours.startswith('<div class="task-groups">')


def test_no_application_gives_djangos_message():
    with translation.override("en"):
        assert _task_groups([], None).strip() == "<p>You don’t have permission to view or edit anything.</p>"


# --- The index laid out for the work: « Mes éditions », then the models by task (issue 14) -------


TASK_TITLES = ["Préparer", "Animer", "Suivre", "Évaluer", "Gouverner", "Autres"]


def _index(client, user):
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_index_starts_with_my_editions_and_their_pages(client, coordinator, programme):
    session = factories.SessionFactory(programme=programme, starts_at=timezone.now() - dt.timedelta(days=1))
    factories.SessionFactory(programme=programme, starts_at=timezone.now() + dt.timedelta(days=20))
    elsewhere = factories.ProgrammeFactory(name="Une édition d'ailleurs")
    page = _index(client, coordinator)
    mine = page.index("Mes éditions")
    assert mine < page.index("Préparer") and programme.name in page and elsewhere.name not in page
    for url in (
        reverse("cockpit:edition", args=[programme.slug]),
        reverse("documents:dashboard", args=[programme.slug]),
        reverse("evaluation_results:programme", args=[programme.slug]),
        reverse("recruitment:funnel", args=[programme.slug]),
        reverse("community:attendance", args=[session.pk]),  # the last session started
    ):
        assert f'href="{url}"' in page, url


def test_the_attendance_link_is_the_next_session_before_any_started(client, coordinator, programme):
    upcoming = factories.SessionFactory(programme=programme, starts_at=timezone.now() + dt.timedelta(days=3))
    assert reverse("community:attendance", args=[upcoming.pk]) in _index(client, coordinator)


def test_the_models_are_grouped_by_task_in_order_the_rare_ones_folded(client, coordinator):
    page = _index(client, coordinator)
    positions = [page.index(f">{title}<") for title in TASK_TITLES]
    assert positions == sorted(positions)
    assert '<details class="task-others"><summary>Autres</summary>' in page
    folded = page[page.index('<details class="task-others">') :]
    assert reverse("admin:networks_region_changelist") in folded
    assert reverse("admin:networks_participant_changelist") not in folded


def test_every_model_appears_once_under_one_task(client, superuser):
    client.force_login(superuser)
    app_list = client.get(reverse("admin:index")).context["app_list"]
    grouped = [model["model"] for _task, _title, models in admin_index.group_by_task(app_list) for model in models]
    assert sorted(grouped, key=str) == sorted(admin.site._registry, key=str)


def test_a_few_editions_then_a_link_to_all(client, superuser):
    for number in range(admin_index.EDITIONS_SHOWN + 2):
        factories.ProgrammeFactory(
            name=f"Édition n° {number}", starts_on=dt.date(2020 + number, 1, 1), ends_on=dt.date(2030, 1, 1)
        )
    page = _index(client, superuser)
    shown = page[page.index("Mes éditions") : page.index("Préparer")]
    assert shown.count('class="my-edition-name"') == admin_index.EDITIONS_SHOWN
    assert "Édition n° 7" in shown and "Édition n° 0" not in shown  # newest first
    assert reverse("admin:alliances_programme_changelist") in shown and "Toutes les éditions" in shown


def test_no_edition_no_section(client, db):
    manager_without_edition = factories.UserFactory(is_staff=True, is_superuser=True)
    assert "Mes éditions" not in _index(client, manager_without_edition)


def _index_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    return len(queries)


@pytest.mark.parametrize("who", ["superuser", "coordinator"])
def test_the_index_costs_the_same_with_more_editions(client, superuser, coordinator, programme, who):
    user = {"superuser": superuser, "coordinator": coordinator}[who]
    factories.SessionFactory(programme=programme)
    client.force_login(user)
    _index_queries(client)  # content types and the like cached
    before = _index_queries(client)
    for _ in range(9):
        edition = factories.ProgrammeFactory()
        edition.coordinators.add(coordinator)
        factories.SessionFactory(programme=edition)
        factories.SessionFactory(programme=edition)
    assert _index_queries(client) == before

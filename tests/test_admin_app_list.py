"""The admin's model list written in Python (alliances/templatetags/admin_app_list.py) gives
exactly the HTML of Django's own ``admin/app_list.html``, so a Django upgrade that changes the
template makes this test fail rather than the admin drift."""

import re
from pathlib import Path

import django.contrib.admin
import pytest
from django.template import Context, Engine
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from alliances.templatetags.admin_app_list import admin_app_list

DJANGO_TEMPLATE = Path(django.contrib.admin.__file__).parent / "templates" / "admin" / "app_list.html"


def _normalised(html):
    """Whitespace between and inside tags does not matter to the browser's rendering of this list."""
    html = re.sub(r">\s+<", "><", html.strip())
    html = re.sub(r">\s+", ">", html)
    return re.sub(r"\s+<", "<", html)


def _app_list(client, user, path):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.context["available_apps"]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("show_changelinks", [False, True])
@pytest.mark.parametrize("who", ["superuser", "coordinator"])
def test_same_html_as_django_template(client, superuser, coordinator, who, show_changelinks, language):
    user = {"superuser": superuser, "coordinator": coordinator}[who]
    path = reverse("admin:networks_enrolment_changelist")  # a current app and a current model
    app_list = _app_list(client, user, path)
    assert app_list, "the admin lists no application"
    request = RequestFactory().get(path)
    engine = Engine(libraries={"i18n": "django.templatetags.i18n"})
    django_template = engine.from_string(DJANGO_TEMPLATE.read_text())
    with translation.override(language):
        expected = django_template.render(
            Context({"app_list": app_list, "show_changelinks": show_changelinks, "request": request})
        )
        ours = admin_app_list(Context({"request": request}), app_list, show_changelinks)
    assert _normalised(ours) == _normalised(expected)
    assert 'aria-current="page"' in ours and "current-model" in ours


def test_no_application_gives_djangos_message():
    with translation.override("en"):
        assert admin_app_list(Context({}), []) == "<p>You don’t have permission to view or edit anything.</p>"

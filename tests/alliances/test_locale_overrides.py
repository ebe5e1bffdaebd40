"""Django's and django-celery-beat's French corrected by locale_overrides/ (issue 14, item 5), and
times without seconds in the admin (alliances/formats)."""

import ast
import datetime as dt
import gettext
import re
from pathlib import Path

import django
import django_celery_beat
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.commands import makemessages as django_makemessages
from django.urls import reverse
from django.utils import formats, timezone, translation

OVERRIDES = Path(settings.BASE_DIR) / "locale_overrides" / "fr" / "LC_MESSAGES"
LIBRARY_CATALOGUES = [
    Path(django.__file__).parent / "contrib" / "admin" / "locale" / "fr" / "LC_MESSAGES" / "django.mo",
    Path(django_celery_beat.__file__).parent / "locale" / "fr" / "LC_MESSAGES" / "django.mo",
]


def _catalogue(mo_path):
    with open(mo_path, "rb") as handle:
        return gettext.GNUTranslations(handle)._catalog


def _overrides():
    """{msgid: msgstr} of the override's .po (one-line entries, as it holds)."""
    text = (OVERRIDES / "django.po").read_text()
    pairs = re.findall(r'^msgid (".*")\nmsgstr (".*")$', text, flags=re.MULTILINE)
    return {ast.literal_eval(msgid): ast.literal_eval(msgstr) for msgid, msgstr in pairs if msgid != '""'}


def test_the_overrides_come_first_in_locale_paths():
    assert Path(settings.LOCALE_PATHS[0]) == OVERRIDES.parent.parent


def test_every_override_still_exists_in_a_librarys_catalogue():
    """A library upgrade that renames a msgid would silently bring its old French back."""
    known = {msgid for path in LIBRARY_CATALOGUES for msgid in _catalogue(path)}
    ours = _overrides()
    assert len(ours) > 40 and not [msgid for msgid in ours if msgid not in known]


def test_the_compiled_catalogue_is_up_to_date():
    mo = {msgid: msgstr for msgid, msgstr in _catalogue(OVERRIDES / "django.mo").items() if msgid}
    assert _overrides() == mo, "run `python manage.py compilemessages` and commit locale_overrides/…/django.mo"


def test_corrected_strings_in_french():
    with translation.override("fr"):
        assert translation.gettext("Add %s") % "édition du programme" == "Ajouter : édition du programme"
        assert translation.gettext("Select %s to change") % "session" == "Choisir : session à modifier"
        assert translation.gettext("Periodic Tasks") == "Tâches périodiques"


def test_the_add_page_of_an_edition_reads_right_in_french(client, superuser):
    client.force_login(superuser)
    with translation.override("fr"):
        page = client.get(reverse("admin:alliances_programme_add"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<h1>Ajouter : édition du programme</h1>" in page
    assert "Ajout de édition" not in page


def test_the_changelist_title_reads_right_in_french(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:alliances_programme_changelist"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Choisir : édition du programme à modifier" in page


def test_makemessages_never_writes_into_the_overrides(monkeypatch):
    seen = []
    monkeypatch.setattr(django_makemessages.Command, "handle", lambda self, *a, **o: seen.append(settings.LOCALE_PATHS))
    call_command("makemessages", locale=["fr"])
    assert seen and settings.LOCALE_OVERRIDES not in seen[0] and Path(settings.BASE_DIR) / "locale" in seen[0]


# --- Times without seconds ---------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_time_inputs_are_written_without_seconds(language):
    with translation.override(language):
        assert formats.get_format("TIME_INPUT_FORMATS")[0] == "%H:%M"
        assert formats.get_format("DATETIME_INPUT_FORMATS")[0].endswith("%H:%M")
        assert formats.localize_input(dt.time(9, 30)) == "09:30"


def test_the_session_form_shows_times_without_seconds(client, coordinator, programme):
    from tests import factories

    session = factories.SessionFactory(programme=programme, within_edition=True)
    client.force_login(coordinator)
    page = client.get(reverse("admin:programme_sessions_session_change", args=[session.pk])).content.decode()
    local = timezone.localtime(session.starts_at)
    assert f'value="{local:%H:%M}"' in page and f'value="{local:%H:%M}:00"' not in page


def test_typing_seconds_is_still_accepted():
    from django import forms

    with translation.override("fr"):
        assert forms.TimeField().clean("09:30:15") == dt.time(9, 30, 15)
        assert forms.TimeField().clean("09:30") == dt.time(9, 30)

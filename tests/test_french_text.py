"""French month names, elisions and plurals (issue 14, item 9).

Django's ``date:"M"`` abbreviates (« Oct », « Jui » for June and July alike); a sentence that says
« de <month year> » needs the elision (« d'octobre 2026 »); a count takes the plural of its noun
(never « 1 freins » nor « participant(s) »).
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from alliances.templatetags.french_dates import de_mois
from tests import factories

TEMPLATES = Path(settings.BASE_DIR) / "templates"
OWN_TEMPLATES = [p for p in TEMPLATES.rglob("*.html") if "admin" not in p.relative_to(TEMPLATES).parts[:1]]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2027, 6, 1), "de juin 2027"),
        (dt.date(2026, 10, 15), "d'octobre 2026"),
        (dt.date(2027, 4, 1), "d'avril 2027"),
        (dt.date(2026, 8, 31), "d'août 2026"),
        (dt.date(2027, 7, 1), "de juillet 2027"),
        (dt.date(2027, 1, 1), "de janvier 2027"),
    ],
)
def test_de_mois_elides_before_a_vowel(day, expected):
    with translation.override("fr"):
        assert de_mois(day) == expected


def test_de_mois_in_another_language_is_the_month_alone():
    with translation.override("en"):
        assert de_mois(dt.date(2026, 10, 15)) == "October 2026"
    assert de_mois(None) == ""


def test_no_template_abbreviates_a_month():
    """« M », « N » and « b » are Django's abbreviated months: pages write them in full."""
    found = [
        f"{p.relative_to(TEMPLATES)}: {fmt}"
        for p in OWN_TEMPLATES
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", p.read_text())
        if not re.fullmatch(r"[A-Z_]+", fmt)  # a named format (SHORT_DATE_FORMAT…) is numeric
        and re.search(r"(?<!\\)[MNb]", fmt)
    ]
    assert not found, found


def test_no_template_writes_a_plural_in_parentheses():
    found = [
        f"{p.relative_to(TEMPLATES)}:{n}"
        for p in OWN_TEMPLATES
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\w\((s|x)\)", line)  # « (e) » is the inclusive feminine, not a count
    ]
    assert not found, found


def test_home_shows_the_phases_months_in_full_with_the_elision(client, db):
    programme = factories.ProgrammeFactory(starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 6, 30))
    factories.PhaseFactory(programme=programme, number=1, starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2027, 6, 30))
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    client.force_login(participant.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "(d&#x27;octobre 2026 à juin 2027)" in page or "(d'octobre 2026 à juin 2027)" in page
    assert "Oct " not in page and "Jui " not in page

"""``load_demo``'s current edition: dated from today, alive (answers missing, a questionnaire open,
a meeting ahead), seen by the demo logins, idempotent on a later day, and its reminder due at once."""

import datetime as dt
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from alliances import demo as core_demo
from alliances.management.commands.load_demo import COORDINATOR_EMAIL
from alliances.models import Notification, Programme, Step, User
from evaluation.models import Questionnaire
from governance.demo import COMMITTEE_MEMBER_EMAIL
from governance.models import Meeting
from networks.demo import DEMO_PARTICIPANT_EMAILS
from sessions.models import Registration
from sessions.selectors import non_respondents
from tests.alliances.test_loaders import model_counts, snapshot

pytestmark = pytest.mark.django_db


def load_demo():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def current():
    return Programme.objects.get(slug=core_demo.CURRENT_SLUG)


def test_the_current_edition_is_dated_from_today():
    load_demo()
    today = timezone.localdate()
    edition = current()
    assert edition.starts_on == today - dt.timedelta(days=60) and edition.ends_on > today
    assert edition.current_phase(today).number == 2
    late = Step.objects.filter(phase__programme=edition, due_on__lt=today).exclude(status=Step.Status.DONE)
    assert late.exists()  # the cockpit has a late step to show
    sessions = {s.number: s for s in edition.sessions.all()}
    assert timezone.localdate(sessions[1].starts_at) < today
    assert timezone.localdate(sessions[2].starts_at) == today + dt.timedelta(days=6)
    for session in sessions.values():
        session.full_clean()  # within the edition's dates
    questionnaire = Questionnaire.objects.get(programme=edition)
    assert Questionnaire.objects.filter(pk=questionnaire.pk).open_at(timezone.now()).exists()
    assert questionnaire.responses.exists()
    meeting = Meeting.objects.get(committee__programme=edition)
    assert meeting.held_on == today + dt.timedelta(days=10)


def test_the_next_session_has_answers_missing():
    load_demo()
    s2 = current().sessions.get(number=2)
    rsvps = list(Registration.objects.filter(session=s2).values_list("rsvp", flat=True))
    assert Registration.Rsvp.CONFIRMED in rsvps and Registration.Rsvp.DECLINED in rsvps
    missing = list(non_respondents(s2))
    assert len(missing) == 4
    assert current().participants.count() == 8


def test_the_demo_logins_see_it_and_the_command_says_so():
    out = load_demo()
    edition = current()
    coordinator = User.objects.get(email=COORDINATOR_EMAIL)
    assert edition in coordinator.coordinated_programmes()
    for email in DEMO_PARTICIPANT_EMAILS:
        assert edition.participants.filter(user__email=email).exists()
    assert edition.committees.filter(members__user__email=COMMITTEE_MEMBER_EMAIL).exists()
    assert core_demo.CURRENT_SLUG in out and COORDINATOR_EMAIL in out
    assert all(email in out.split("Comptes de démonstration")[0] for email in DEMO_PARTICIPANT_EMAILS)


def test_a_later_run_changes_nothing(monkeypatch):
    """The edition keeps the dates of the day it was created: a run 9 days later changes no row."""
    load_demo()
    counts, before = model_counts(), snapshot()
    later = timezone.now() + dt.timedelta(days=9)
    monkeypatch.setattr(timezone, "now", lambda: later)
    out = load_demo()
    assert model_counts() == counts
    assert snapshot() == before
    assert "aucun enregistrement créé" in out


def test_its_session_reminder_is_due_at_once():
    """On the day the demo is loaded the « J-7 » reminder of the session in 6 days is already due: the
    first run of the periodic job (run_embedded queues one at start) sends it to everyone but who declined."""
    load_demo()
    mail.outbox.clear()
    call_command("send_reminders", stdout=io.StringIO())
    s2 = current().sessions.get(number=2)
    sent = Notification.objects.filter(kind="session_reminder:7", object_id=s2.pk, status=Notification.Status.SENT)
    declined = Registration.objects.filter(session=s2, rsvp=Registration.Rsvp.DECLINED).count()
    assert sent.count() == current().participants.count() - declined == 7
    assert len(mail.outbox) == 7
    assert all(s2.code in message.subject for message in mail.outbox)

"""Calendar files: one session's .ics, the personal feed with its secret token, and its regeneration."""

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from sessions.models import CalendarFeed, Registration
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def s1(programme):
    """S1 of the pilot: 12 April 2018, 9:30–17:00 in Paris (summer time, UTC+2)."""
    return factories.SessionFactory(
        programme=programme,
        number=1,
        code="S1",
        title="Comprendre",
        theory="Panorama des partenariats en France.",
        starts_at=dt.datetime(2018, 4, 12, 9, 30, tzinfo=PARIS),
        ends_at=dt.datetime(2018, 4, 12, 17, 0, tzinfo=PARIS),
        venue="Maison des associations, Paris",
    )


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def events(calendar):
    return list(calendar.walk("VEVENT"))


# --- One session's .ics ------------------------------------------------------------------


def test_session_ics_content(logged_in, s1):
    response = logged_in.get(reverse("sessions:ics", args=[s1.pk]))

    calendar = parse(response)
    assert response["Content-Disposition"] == f'attachment; filename="{s1.programme.slug}-s1.ics"'
    [event] = events(calendar)
    assert str(event["UID"]) == f"session-{s1.pk}@alliances"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    start = event.decoded("DTSTART")
    assert (start.year, start.month, start.day, start.hour, start.minute) == (2018, 4, 12, 9, 30)
    assert start.utcoffset() == dt.timedelta(hours=2)
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND").hour == 17
    assert b"DTSTART;TZID=Europe/Paris:20180412T093000" in response.content
    assert str(event["SUMMARY"]) == "S1 — Comprendre"
    assert str(event["LOCATION"]) == "Maison des associations, Paris"
    description = str(event["DESCRIPTION"])
    assert "Panorama des partenariats en France." in description
    assert reverse("sessions:detail", args=[s1.pk]) in description
    [timezone_component] = calendar.walk("VTIMEZONE")
    assert str(timezone_component["TZID"]) == "Europe/Paris"
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -dt.timedelta(days=1)


def test_winter_session_is_at_utc_plus_one(logged_in, programme):
    session = factories.SessionFactory(
        programme=programme, starts_at=dt.datetime(2018, 12, 6, 8, 30, tzinfo=dt.UTC), ends_at=None
    )
    [event] = events(parse(logged_in.get(reverse("sessions:ics", args=[session.pk]))))
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute, start.utcoffset()) == (9, 30, dt.timedelta(hours=1))
    assert "DTEND" not in event


def test_online_session_has_url_and_location(logged_in, programme):
    session = factories.SessionFactory(programme=programme, venue="", online_url="https://visio.example.org/webinaire")
    [event] = events(parse(logged_in.get(reverse("sessions:ics", args=[session.pk]))))
    assert str(event["URL"]) == "https://visio.example.org/webinaire"
    assert str(event["LOCATION"]) == "https://visio.example.org/webinaire"


def test_uid_is_the_same_across_downloads(logged_in, s1):
    url = reverse("sessions:ics", args=[s1.pk])
    first = events(parse(logged_in.get(url)))[0]["UID"]
    second = events(parse(logged_in.get(url)))[0]["UID"]
    assert first == second == f"session-{s1.pk}@alliances"


def test_undated_session_has_no_ics(logged_in, programme):
    session = factories.SessionFactory(programme=programme, starts_at=None, ends_at=None)
    assert logged_in.get(reverse("sessions:ics", args=[session.pk])).status_code == 404


# --- The calendar page -------------------------------------------------------------------


def test_calendar_page_shows_feed_urls(logged_in, participant):
    response = logged_in.get(reverse("sessions:calendar"))

    assert response.status_code == 200
    feed = CalendarFeed.objects.get(user=participant.user)
    assert len(feed.token) >= 40
    content = response.content.decode()
    path = reverse("sessions:feed", args=[feed.token])
    assert path == f"/portail/sessions/agenda/{feed.token}.ics"
    assert f"http://testserver{path}" in content
    assert f"webcal://testserver{path}" in content
    assert reverse("sessions:calendar_regenerate") in content
    assert "L'ancienne cessera aussitôt de fonctionner" in content.replace("&#x27;", "'")


def test_calendar_page_keeps_the_same_token(logged_in, participant):
    logged_in.get(reverse("sessions:calendar"))
    logged_in.get(reverse("sessions:calendar"))
    assert CalendarFeed.objects.filter(user=participant.user).count() == 1


def test_calendar_page_access(client, programme):
    assert_login_redirect(client.get(reverse("sessions:calendar")))
    assert_login_redirect(client.post(reverse("sessions:calendar_regenerate")))
    client.force_login(committee_user(programme))
    assert client.get(reverse("sessions:calendar")).status_code == 403
    assert client.post(reverse("sessions:calendar_regenerate")).status_code == 403


def test_regenerate_is_post_only(logged_in):
    assert logged_in.get(reverse("sessions:calendar_regenerate")).status_code == 405


# --- The personal feed -------------------------------------------------------------------


def feed_url(user):
    return reverse("sessions:feed", args=[CalendarFeed.objects.get_or_create(user=user)[0].token])


def test_feed_needs_no_login_and_lists_my_sessions_except_declined(client, participant, programme, s1):
    declined = factories.SessionFactory(programme=programme, number=2, code="S2")
    factories.RegistrationFactory(session=declined, participant=participant, rsvp=Registration.Rsvp.DECLINED)
    confirmed = factories.SessionFactory(programme=programme, number=3, code="S3")
    factories.RegistrationFactory(session=confirmed, participant=participant, rsvp=Registration.Rsvp.CONFIRMED)
    factories.SessionFactory(programme=programme, number=4, code="S4", starts_at=None, ends_at=None)  # undated
    factories.SessionFactory(code="X1")  # another edition, where I do not take part
    # Another of my participations, in a later edition.
    later = factories.ParticipantFactory(user=participant.user)
    other_edition = factories.SessionFactory(programme=later.enrolment.programme, code="N1")

    response = client.get(feed_url(participant.user))

    calendar = parse(response)
    uids = sorted(str(event["UID"]) for event in events(calendar))
    assert uids == sorted(f"session-{s.pk}@alliances" for s in (s1, confirmed, other_edition))
    assert calendar.walk("VTIMEZONE")
    assert all(event.walk("VALARM") for event in events(calendar))
    assert "attachment" not in response["Content-Disposition"]


def test_feed_with_unknown_token_is_not_found(client, participant):
    feed_url(participant.user)
    assert client.get(reverse("sessions:feed", args=["jeton-inconnu"])).status_code == 404


def test_feed_of_inactive_user_is_not_found(client, participant):
    url = feed_url(participant.user)
    participant.user.is_active = False
    participant.user.save()
    assert client.get(url).status_code == 404


def test_regenerate_replaces_the_token_and_keeps_uids(logged_in, client, participant, s1):
    old_url = feed_url(participant.user)
    old_uids = [str(e["UID"]) for e in events(parse(logged_in.get(old_url)))]

    response = logged_in.post(reverse("sessions:calendar_regenerate"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("sessions:calendar")
    assert "Nouvelle adresse d&#x27;agenda créée" in response.content.decode()
    feed = CalendarFeed.objects.get(user=participant.user)
    assert feed.regenerated_at is not None
    new_url = reverse("sessions:feed", args=[feed.token])
    assert new_url != old_url
    assert new_url in response.content.decode()
    client.logout()
    assert client.get(old_url).status_code == 404
    assert [str(e["UID"]) for e in events(parse(client.get(new_url)))] == old_uids == [f"session-{s1.pk}@alliances"]


def test_feed_query_count_is_bounded(client, participant, programme, django_assert_num_queries):
    for number in range(1, 8):
        factories.SessionFactory(programme=programme, number=number)
    url = feed_url(participant.user)
    # the feed and its user, the sessions (participations and declined ones as subqueries)
    with django_assert_num_queries(2):
        assert client.get(url).status_code == 200


def test_feed_times_are_paris_time(client, participant, s1):
    calendar = parse(client.get(feed_url(participant.user)))
    [event] = events(calendar)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTSTART").astimezone(dt.UTC) == dt.datetime(2018, 4, 12, 7, 30, tzinfo=dt.UTC)
    assert timezone.is_aware(event.decoded("DTSTART"))

"""iCalendar (RFC 5545) documents for sessions: one session's .ics, and a person's feed.

Times are written in Europe/Paris local time with a TZID and the matching
VTIMEZONE, so calendar applications show the right hour across daylight-saving
changes. A session's UID never changes, so re-importing or refreshing a feed
updates the event instead of duplicating it.
"""

import datetime as dt
import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
PRODID = "-//Alliances innovantes//Parcours d'expérience//FR"
REMINDER_BEFORE = dt.timedelta(days=1)


def session_uid(session):
    """Stable per session: the same across downloads, feeds and token regenerations."""
    return f"session-{session.pk}@alliances"


def _description(session, detail_url):
    parts = [f"{session.code} — {session.title}"]
    if session.topic:
        parts.append(_("Sujet : %(topic)s") % {"topic": session.topic})
    if session.theory:
        parts.append(_("Apports théoriques : %(theory)s") % {"theory": session.theory})
    if session.applied_work:
        parts.append(_("Travail applicatif : %(work)s") % {"work": session.applied_work})
    if session.online_url:
        parts.append(_("Lien de connexion : %(url)s") % {"url": session.online_url})
    if detail_url:
        parts.append(_("Détails : %(url)s") % {"url": detail_url})
    return "\n\n".join(parts)


def session_event(session, *, detail_url="", stamp=None):
    """The VEVENT of one dated session, with a display reminder the day before."""
    if session.starts_at is None:
        raise ValueError("A session without a start date has no calendar event.")
    event = Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", session.starts_at.astimezone(PARIS))
    if session.ends_at is not None:
        event.add("dtend", session.ends_at.astimezone(PARIS))
    event.add("summary", f"{session.code} — {session.title}")
    event.add("description", _description(session, detail_url))
    if session.venue:
        event.add("location", session.venue)
    elif session.online_url:
        event.add("location", session.online_url)
    if session.online_url:
        event.add("url", session.online_url)
    elif detail_url:
        event.add("url", detail_url)

    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -REMINDER_BEFORE)
    alarm.add("description", _("Demain : %(session)s") % {"session": f"{session.code} — {session.title}"})
    event.add_component(alarm)
    return event


def build_calendar(sessions, *, name, detail_url=None):
    """Serialise ``sessions`` (the dated ones) into an iCalendar document (bytes).

    ``detail_url(session)`` gives the absolute URL of a session's page, for the description.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Paris")
    stamp = timezone.now()
    years = []
    for session in sessions:
        if session.starts_at is None:
            continue
        url = detail_url(session) if detail_url else ""
        calendar.add_component(session_event(session, detail_url=url, stamp=stamp))
        years.append(session.starts_at.astimezone(PARIS).year)
        years.append((session.ends_at or session.starts_at).astimezone(PARIS).year)
    if years:
        # The VTIMEZONE of every TZID used above (Europe/Paris), with the transitions of these years only.
        calendar.add_missing_timezones(first_date=dt.date(min(years), 1, 1), last_date=dt.date(max(years) + 1, 1, 1))
    return calendar.to_ical()

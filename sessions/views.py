"""Member-portal pages of sessions: list, detail, RSVP, calendar files and the personal feed.

Every page but the feed works on ``request.participant`` (networks.access) and
only shows sessions of that participant's edition: another edition's session is
a 404. The feed is read by calendar applications, which cannot log in: its URL
carries a secret token instead.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import F, OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from networks.access import participant_required, participations
from sessions import services
from sessions.calendar import build_calendar
from sessions.forms import RsvpForm
from sessions.models import CalendarFeed, Registration, Session

ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


def _session_of_my_edition(request, pk, queryset=None):
    queryset = queryset if queryset is not None else Session.objects.all()
    return get_object_or_404(queryset, pk=pk, programme_id=request.participant.enrolment.programme_id)


def _is_past(session, now):
    end = session.ends_at or session.starts_at
    return end is not None and end < now


def _rsvp_label(value):
    if value in Registration.Rsvp.values:
        return Registration.Rsvp(value).label
    return Registration.Rsvp.INVITED.label


def _detail_url(request):
    def url(session):
        return request.build_absolute_uri(reverse("sessions:detail", args=[session.pk]))

    return url


@participant_required
def session_list(request):
    participant = request.participant
    now = timezone.now()
    my_rsvp = Registration.objects.filter(session=OuterRef("pk"), participant=participant).values("rsvp")[:1]
    sessions = (
        Session.objects.filter(programme_id=participant.enrolment.programme_id)
        .annotate(my_rsvp=Subquery(my_rsvp))
        .order_by(F("starts_at").asc(nulls_last=True), "number")
    )
    upcoming, past = [], []
    for session in sessions:
        session.my_rsvp_label = _rsvp_label(session.my_rsvp)
        session.rsvp_open = services.rsvp_is_open(session, now)
        (past if _is_past(session, now) else upcoming).append(session)
    past.reverse()  # most recent first
    return render(
        request,
        "sessions/session_list.html",
        {"participant": participant, "upcoming": upcoming, "past": past, "now": now},
    )


@participant_required
def session_detail(request, pk):
    session = _session_of_my_edition(
        request,
        pk,
        Session.objects.select_related("programme", "inspiring_meeting").prefetch_related("themes", "resources"),
    )
    # order_by(): one row at most (unique together); the default ordering would join five tables.
    registration = Registration.objects.filter(session=session, participant=request.participant).order_by().first()
    form = RsvpForm(initial={"comment": registration.rsvp_comment if registration else ""})
    rsvp_open = services.rsvp_is_open(session)
    return render(
        request,
        "sessions/session_detail.html",
        {
            "session": session,
            "registration": registration,
            "rsvp_label": _rsvp_label(registration.rsvp if registration else None),
            "rsvp_open": rsvp_open,
            "rsvp_closed": not rsvp_open,
            "is_past": _is_past(session, timezone.now()),
            "form": form,
        },
    )


@participant_required
@require_POST
def session_rsvp(request, pk):
    session = _session_of_my_edition(request, pk)
    form = RsvpForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            registration = services.registration_respond(
                participant=request.participant,
                session=session,
                rsvp=form.cleaned_data["rsvp"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            if registration.rsvp == Registration.Rsvp.CONFIRMED:
                messages.success(request, _("Votre participation à %(session)s est confirmée.") % {"session": session})
            else:
                messages.success(request, _("Votre absence à %(session)s est enregistrée.") % {"session": session})
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect("sessions:detail", pk=session.pk)


def _ics_response(content, filename, *, attachment=True):
    response = HttpResponse(content, content_type=ICS_CONTENT_TYPE)
    disposition = "attachment" if attachment else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@participant_required
@require_GET
def session_ics(request, pk):
    session = _session_of_my_edition(request, pk, Session.objects.select_related("programme"))
    if session.starts_at is None:
        raise Http404
    content = build_calendar([session], name=str(session), detail_url=_detail_url(request))
    filename = f"{session.programme.slug}-{slugify(session.code) or session.pk}.ics"
    return _ics_response(content, filename)


def _feed_urls(request, feed):
    https_url = request.build_absolute_uri(reverse("sessions:feed", args=[feed.token]))
    return https_url, "webcal://" + https_url.split("://", 1)[1]


@participant_required
@require_GET
def calendar_settings(request):
    if request.portal_preview:
        # The address is the coordinator's own secret, not the participant's: a preview shows none and creates none.
        return render(request, "sessions/calendar.html", {"feed": None, "feed_url": "", "webcal_url": ""})
    feed = services.calendar_feed_get_or_create(user=request.user)
    https_url, webcal_url = _feed_urls(request, feed)
    return render(
        request,
        "sessions/calendar.html",
        {"feed": feed, "feed_url": https_url, "webcal_url": webcal_url},
    )


@participant_required
@require_POST
def calendar_regenerate(request):
    services.calendar_feed_regenerate(user=request.user)
    messages.success(
        request,
        _(
            "Nouvelle adresse d'agenda créée : l'ancienne ne fonctionne plus. "
            "Abonnez de nouveau votre application d'agenda avec l'adresse ci-dessous."
        ),
    )
    return redirect("sessions:calendar")


@never_cache
@require_GET
def calendar_feed(request, token):
    """The personal feed: sessions of all the person's editions, except those they declined. No login."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    declined = Registration.objects.filter(participant__user=feed.user, rsvp=Registration.Rsvp.DECLINED).values(
        "session_id"
    )
    programmes = participations(feed.user).values("enrolment__programme_id")
    sessions = (
        Session.objects.filter(programme_id__in=programmes, starts_at__isnull=False)
        .exclude(pk__in=declined)
        .order_by("starts_at", "pk")
    )
    content = build_calendar(sessions, name=_("Alliances innovantes — mes sessions"), detail_url=_detail_url(request))
    return _ics_response(content, "alliances-sessions.ics", attachment=False)

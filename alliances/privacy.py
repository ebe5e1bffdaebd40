"""Personal data under the person's control (RGPD): privacy page, export, deletion request, anonymisation.

Part of the core's top layer: a person's data lives in every app.

* ``user_data_export(user)`` gathers what the platform holds about one person, their
  own rows only, as JSON-ready data (« télécharger mes données »);
* ``deletion_request_record(user)`` records a deletion request and tells the
  coordinators of the person's editions, who then anonymise the person;
* ``user_anonymise(user=…, by=…)`` closes the account and replaces the personal
  fields, while keeping the rows that feed the edition's aggregates (participations,
  votes, answer values); the change history of those rows is scrubbed the same way.
"""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session as LoginSession
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from alliances.admin_scoping import coordinated_programme_ids, is_superuser
from alliances.models import Notification, Programme
from evaluation.models import Answer, Response
from governance.models import CommitteeMember, Decision
from networks.models import Participant
from sessions.models import CalendarFeed, Registration, TopicProposal, TopicVote

ANONYMOUS_DOMAIN = "anonymise.invalid"


def anonymous_email(user):
    return f"anonyme-{user.pk}@{ANONYMOUS_DOMAIN}"


def is_anonymised(user):
    return user.email == anonymous_email(user)


# --- Export ----------------------------------------------------------------------------------


def user_data_export(user):
    """Everything the platform holds about ``user`` (and nobody else), JSON-ready."""
    participations = Participant.objects.filter(user=user).select_related(
        "enrolment__network", "enrolment__programme", "binome"
    )
    registrations = Registration.objects.filter(participant__user=user).select_related("session__programme")
    votes = TopicVote.objects.filter(participant__user=user).select_related("proposal__session")
    proposals = TopicProposal.objects.filter(proposed_by__user=user).select_related("session")
    responses = (
        Response.objects.filter(participant__user=user)
        .select_related("questionnaire__programme")
        .prefetch_related("answers__question")
    )
    seats = CommitteeMember.objects.filter(user=user).select_related("committee__programme", "organisation")
    notifications = Notification.objects.filter(recipient=user).select_related("programme")
    feed = CalendarFeed.objects.filter(user=user).first()
    return {
        "exported_at": timezone.now(),
        "account": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": user.phone,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "invited_at": user.invited_at,
            "invitation_accepted_at": user.invitation_accepted_at,
            "deletion_requested_at": user.deletion_requested_at,
            "notify_session_reminders": user.notify_session_reminders,
            "notify_meeting_reminders": user.notify_meeting_reminders,
            "notify_questionnaires": user.notify_questionnaires,
            "notify_announcements": user.notify_announcements,
        },
        "participations": [
            {
                "edition": p.enrolment.programme.name,
                "network": p.enrolment.network.name,
                "job_title": p.job_title,
                "binome": str(p.binome) if p.binome_id else None,
                "listed_in_directory": p.listed_in_directory,
                "joined_at": p.joined_at,
            }
            for p in participations
        ],
        "registrations": [
            {
                "edition": r.session.programme.name,
                "session": str(r.session),
                "starts_at": r.session.starts_at,
                "rsvp": r.rsvp,
                "rsvp_comment": r.rsvp_comment,
                "responded_at": r.responded_at,
                "attendance": r.attendance,
            }
            for r in registrations
        ],
        "topic_proposals": [
            {"session": str(p.session), "title": p.title, "description": p.description, "created_at": p.created_at}
            for p in proposals
        ],
        "votes": [
            {"session": str(v.proposal.session), "proposal": v.proposal.title, "voted_at": v.voted_at} for v in votes
        ],
        "responses": [
            {
                "edition": r.questionnaire.programme.name,
                "questionnaire": r.questionnaire.title,
                "submitted_at": r.submitted_at,
                "updated_at": r.updated_at,
                "answers": [
                    {"question": a.question.text, "value": a.value, "text": a.text, "selected": a.selected}
                    for a in r.answers.all()
                ],
            }
            for r in responses
        ],
        "committee_seats": [
            {
                "edition": s.committee.programme.name,
                "committee": s.committee.name,
                "organisation": s.organisation.name if s.organisation_id else None,
                "person_name": s.person_name,
                "role": s.role,
            }
            for s in seats
        ],
        "notifications": [
            {
                "kind": n.kind,
                "edition": n.programme.name if n.programme_id else None,
                "status": n.status,
                "created_at": n.created_at,
                "sent_at": n.sent_at,
            }
            for n in notifications
        ],
        "calendar_feed": {"created_at": feed.created_at, "regenerated_at": feed.regenerated_at} if feed else None,
    }


# --- Deletion request ------------------------------------------------------------------------


def editions_of(user):
    """The editions the person takes part in, as a participant or a committee member."""
    return Programme.objects.filter(
        Q(enrolments__participants__user=user) | Q(committees__members__user=user)
    ).distinct()


def deletion_request_record(user, *, request=None):
    """Record the request (once) and email the coordinators of the person's editions.

    Without an edition (or coordinators), the superusers are told instead.
    """
    if user.deletion_requested_at is None:
        user.deletion_requested_at = timezone.now()
        user.save(update_fields=["deletion_requested_at"])
    User = get_user_model()
    recipients = set(
        # Staff only: the admin link in the email is of no use to anyone else (nor are they coordinators).
        User.objects.filter(programmes_coordinated__in=editions_of(user), is_active=True, is_staff=True).values_list(
            "email", flat=True
        )
    )
    if not recipients:
        recipients = set(User.objects.filter(is_superuser=True, is_active=True).values_list("email", flat=True))
    admin_url = reverse("admin:alliances_user_changelist") + "?deletion_requested_at__isnull=False"
    if request is not None:
        admin_url = request.build_absolute_uri(admin_url)
    body = render_to_string("privacy/deletion_request_email.txt", {"person": user, "admin_url": admin_url})
    if recipients:
        send_mail(
            _("Demande de suppression de données personnelles"),
            body,
            settings.DEFAULT_FROM_EMAIL,
            sorted(recipients),
        )
    return sorted(recipients)


# --- Anonymisation ---------------------------------------------------------------------------


def _end_login_sessions(user):
    """Delete the person's login sessions (whatever the session store's contents)."""
    ended = []
    for session in LoginSession.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user.pk):
            ended.append(session.session_key)
    LoginSession.objects.filter(session_key__in=ended).delete()


@transaction.atomic
def user_anonymise(*, user, by):
    """Close ``user``'s account and remove their personal data, keeping the aggregates.

    ``by`` is the coordinator or superuser doing it (recorded in the admin log).
    """
    full_name = user.get_full_name().strip()
    old_email = user.email
    participant_ids = list(Participant.objects.filter(user=user).values_list("pk", flat=True))
    response_ids = list(Response.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True))
    answer_ids = list(Answer.objects.filter(response_id__in=response_ids).values_list("pk", flat=True))
    registration_ids = list(
        Registration.objects.filter(participant_id__in=participant_ids).values_list("pk", flat=True)
    )

    # The account: closed, no way to log in, no personal field left.
    user.email = anonymous_email(user)
    user.first_name = ""
    user.last_name = ""
    user.phone = ""
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.invited_at = None
    user.invitation_accepted_at = None
    user.notify_session_reminders = False
    user.notify_meeting_reminders = False
    user.notify_questionnaires = False
    user.notify_announcements = False
    if user.deletion_requested_at is None:
        user.deletion_requested_at = timezone.now()
    user.set_unusable_password()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    user.programmes_coordinated.clear()
    _end_login_sessions(user)
    CalendarFeed.objects.filter(user=user).delete()

    # Participations stay (they count in the edition's figures), without a job title, out of the directory.
    Participant.objects.filter(pk__in=participant_ids).update(job_title="", listed_in_directory=False)
    # Free text written by the person; RSVP values, votes and answer values stay for the aggregates.
    Registration.objects.filter(pk__in=registration_ids).update(rsvp_comment="")
    Answer.objects.filter(pk__in=answer_ids).update(text="")
    Notification.objects.filter(recipient=user).update(last_error="")

    # Committee seats: unlinked from the account, the person's name removed.
    for seat in CommitteeMember.objects.filter(user=user):
        seat.user = None
        if seat.person_name and seat.person_name.strip() in {full_name, old_email}:
            seat.person_name = "" if seat.organisation_id else _("Membre anonymisé")
        seat.save(update_fields=["user", "person_name"])
    decision_ids = []
    if full_name:
        decisions = Decision.objects.filter(owner__iexact=full_name)
        decision_ids = list(decisions.values_list("pk", flat=True))
        decisions.update(owner="")

    # The change history of those rows, scrubbed of the same fields.
    Registration.history.filter(participant_id__in=participant_ids).update(rsvp_comment="")
    Answer.history.filter(response_id__in=response_ids).update(text="")
    if full_name:
        Decision.history.filter(Q(id__in=decision_ids) | Q(owner__iexact=full_name)).update(owner="")

    # The admin's own log names objects by their label: the person's name and address.
    user_type = ContentType.objects.get_for_model(type(user))
    participant_type = ContentType.objects.get_for_model(Participant)
    LogEntry.objects.filter(content_type=user_type, object_id=str(user.pk)).update(object_repr=str(user))
    LogEntry.objects.filter(content_type=participant_type, object_id__in=[str(pk) for pk in participant_ids]).update(
        object_repr=str(user)
    )

    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[user],
        action_flag=2,  # CHANGE
        change_message=json.dumps([{"changed": {"fields": ["anonymisation"]}}]),
        single_object=True,
    )
    return user


def can_anonymise(request, user):
    """Superusers, and the coordinators of one of the person's editions (never for staff)."""
    if user.pk == request.user.pk:
        return False
    if is_superuser(request):
        return True
    if user.is_staff or user.is_superuser:
        return False
    ids = coordinated_programme_ids(request)
    return bool(ids) and editions_of(user).filter(pk__in=sorted(ids)).exists()


@admin.action(description=gettext_lazy("Anonymiser (suite à une demande de suppression)"), permissions=["change"])
def anonymise_users(modeladmin, request, queryset):
    """Admin action of the users' admin: a confirmation page, then the anonymisation."""
    targets = [user for user in queryset.order_by("pk") if not is_anonymised(user) and can_anonymise(request, user)]
    refused = queryset.count() - len(targets)
    if request.POST.get("confirm") == "yes":
        for user in targets:
            user_anonymise(user=user, by=request.user)
        if targets:
            modeladmin.message_user(
                request,
                ngettext("%(count)d personne anonymisée.", "%(count)d personnes anonymisées.", len(targets))
                % {"count": len(targets)},
                messages.SUCCESS,
            )
        if refused:
            modeladmin.message_user(
                request,
                ngettext(
                    "%(count)d personne non anonymisée (déjà anonymisée ou hors de vos éditions).",
                    "%(count)d personnes non anonymisées (déjà anonymisées ou hors de vos éditions).",
                    refused,
                )
                % {"count": refused},
                messages.WARNING,
            )
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Anonymiser des personnes"),
        "opts": modeladmin.model._meta,
        "targets": targets,
        "refused": refused,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": [str(pk) for pk in queryset.values_list("pk", flat=True)],
    }
    return render(request, "privacy/anonymise_confirm.html", context)


# --- Views -----------------------------------------------------------------------------------


def privacy_policy(request):
    return render(request, "privacy/policy.html")


@login_required
def my_data(request):
    """« Télécharger mes données »: the person's own data as a JSON attachment."""
    payload = json.dumps(user_data_export(request.user), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    response = HttpResponse(payload, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mes-donnees-alliances.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def deletion_request(request):
    """A confirmation page; its POST records the request and tells the coordinators."""
    if request.method == "POST":
        deletion_request_record(request.user, request=request)
        messages.success(
            request,
            _(
                "Votre demande de suppression est enregistrée. L'équipe de coordination anonymisera "
                "vos données et fermera votre compte."
            ),
        )
        return redirect("accounts:profile")
    return render(request, "privacy/deletion_request.html")

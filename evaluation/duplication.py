"""« Dupliquer l'édition »: a new edition built from an existing one, its dates shifted.

What the copy holds (the *structure* of an edition, with every date moved by the
same number of days):

- the edition itself: description, sponsors, dates, target number of networks,
  reminder settings and e-mail introduction — and its **coordinators** (the
  programme team, not participants: the new edition is run by the same people
  until a superuser changes it), joined by the programme manager who duplicates it;
- phases and their steps: each step back to « à venir », done date cleared, due
  date shifted;
- themes; sessions (dates shifted, themes relinked to the copied themes, venue
  kept, video-conference link cleared because a link is made for one meeting;
  a collectively chosen topic is cleared and its vote reset, closed, ready to be
  opened again); each session's inspiring meeting with its speaker kind,
  organisation and description but **without the speaker's name** (a person);
- competencies; questionnaires (opening and closing shifted, session relinked)
  and their questions (competencies relinked to the copied ones);
- committees and their seats: an organisation's seat keeps its organisation and
  role, without a linked account or representative's name; **a named person's
  seat becomes « À désigner »** with the same role (« consultante indépendante »)
  and « en cours de validation », so the committee keeps its shape and no
  person is carried over;
- committee meetings as **dated shells**: title, shifted date, time, place and
  agenda (a draft to adapt), **no minutes, no attendance, no decisions**.

What it leaves out: everything personal or produced by the edition — enrolments,
participants, binômes, partnership inventories, obstacles, roadmaps,
registrations, topic proposals and votes, questionnaire responses and answers,
follow-ups and field visits, announcements, calendar feeds, findings, documents,
notifications; and the resource library (the coordinators re-attach what still
applies).
"""

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliances.models import Phase, Programme, Step, Theme, programme_creator_coordinates
from evaluation.models import Competency, Question, Questionnaire
from governance.models import Committee, CommitteeMember, Meeting
from sessions.models import InspiringMeeting, Session

logger = logging.getLogger(__name__)

DEFAULT_OFFSET_DAYS = 365
MAX_OFFSET_DAYS = 3650

# Fields of the programme copied as they are (dates are shifted, coordinators copied apart).
PROGRAMME_FIELDS = (
    "description",
    "sponsors",
    "target_networks",
    "session_reminder_days",
    "meeting_reminder_days",
    "email_introduction",
)


def shift_date(value, days):
    return None if value is None else value + dt.timedelta(days=days)


def shift_datetime(value, days):
    """The same wall-clock time ``days`` later in the project's time zone (09:30 stays 09:30 across DST)."""
    if value is None:
        return None
    zone = timezone.get_default_timezone()
    local = timezone.localtime(value, zone).replace(tzinfo=None)
    return timezone.make_aware(local + dt.timedelta(days=days), zone)


def _clean_all(objects, exclude=()):
    """Validate copies of valid rows without a query per row: relations are the copied
    objects themselves, uniqueness and constraints are the database's to hold."""
    for obj in objects:
        obj.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)


def slug_taken_message(*, slug, name):
    """Why ``slug`` cannot be used; a second sending of the same form is told the edition exists."""
    existing = Programme.objects.filter(slug=slug).only("name").first()
    if existing is not None and existing.name == name:
        return _(
            "L'édition « %(name)s » existe déjà avec l'identifiant « %(slug)s » : elle vient sans doute d'être "
            "créée par un premier envoi de ce formulaire. Aucune autre édition n'a été créée."
        ) % {"name": name, "slug": slug}
    return _("Une édition porte déjà cet identifiant : choisissez-en un autre.")


def _validate_request(*, source, offset_days, duplicated_by):
    if duplicated_by is None or not duplicated_by.is_programme_manager:
        # Creating an edition is for programme managers and superusers (ProgrammeAdmin.has_add_permission).
        raise PermissionDenied(
            _("Seuls les responsables de programme et les super-administrateurs peuvent créer une édition.")
        )
    if source.pk is None:
        raise ValidationError(_("L'édition à dupliquer n'existe pas."))
    if not isinstance(offset_days, int) or abs(offset_days) > MAX_OFFSET_DAYS:
        message = _("Le décalage doit être un nombre entier de jours entre -%(max)d et %(max)d.")
        raise ValidationError({"offset_days": message % {"max": MAX_OFFSET_DAYS}})


@transaction.atomic
def programme_duplicate(*, source, name, slug, offset_days, duplicated_by):
    """Create a new edition from ``source``, every date shifted by ``offset_days``; return it.

    All or nothing (one transaction). Raises ValidationError for a bad name, slug
    (already used…) or offset, PermissionDenied unless ``duplicated_by`` is a
    programme manager (or a superuser), who becomes one of its coordinators. A fixed number of
    queries, whatever the size of the edition.
    """
    _validate_request(source=source, offset_days=offset_days, duplicated_by=duplicated_by)
    days = offset_days

    programme = Programme(
        name=name,
        slug=slug,
        starts_on=shift_date(source.starts_on, days),
        ends_on=shift_date(source.ends_on, days),
        **{field: getattr(source, field) for field in PROGRAMME_FIELDS},
    )
    programme.full_clean()
    try:
        # full_clean() read the slug as free, but a concurrent duplication may take it before this
        # insert: the unique index makes it wait for that one's commit, then refuses it.
        with transaction.atomic():
            programme.save()
    except IntegrityError:
        if not Programme.objects.filter(slug=slug).exists():
            raise
        raise ValidationError({"slug": slug_taken_message(slug=slug, name=name)}) from None
    programme.coordinators.set(source.coordinators.all())
    programme_creator_coordinates(programme, duplicated_by)

    _copy_phases(source, programme, days)
    themes = _copy_themes(source, programme)
    sessions = _copy_sessions(source, programme, days, themes)
    competencies = _copy_competencies(source, programme)
    _copy_questionnaires(source, programme, days, sessions, competencies)
    _copy_committees(source, programme, days)

    logger.info(
        "Edition %s duplicated as %s (offset %+d days) by user %s", source.pk, programme.pk, days, duplicated_by.pk
    )
    return programme


def _copy_phases(source, programme, days):
    phases = list(Phase.objects.filter(programme=source).prefetch_related("steps").order_by("number"))
    copies = [
        Phase(
            programme=programme,
            number=phase.number,
            title=phase.title,
            starts_on=shift_date(phase.starts_on, days),
            ends_on=shift_date(phase.ends_on, days),
        )
        for phase in phases
    ]
    _clean_all(copies, exclude=["programme"])
    copies = Phase.objects.bulk_create(copies)
    steps = [
        Step(
            phase=copy,
            letter=step.letter,
            title=step.title,
            status=Step.Status.PLANNED,
            due_on=shift_date(step.due_on, days),
            done_on=None,
        )
        for phase, copy in zip(phases, copies, strict=True)
        for step in phase.steps.all()
    ]
    _clean_all(steps, exclude=["phase"])
    Step.objects.bulk_create(steps)


def _copy_themes(source, programme):
    """Copy the themes; return {source theme id: copy}."""
    themes = list(Theme.objects.filter(programme=source).order_by("order", "pk"))
    copies = [
        Theme(programme=programme, order=theme.order, title=theme.title, description=theme.description)
        for theme in themes
    ]
    _clean_all(copies, exclude=["programme"])
    copies = Theme.objects.bulk_create(copies)
    return {theme.pk: copy for theme, copy in zip(themes, copies, strict=True)}


def _session_was_voted(session):
    return session.topic_vote_open or session.topic_vote_closed_at is not None


def _copy_sessions(source, programme, days, themes):
    """Copy the sessions, their themes and inspiring meetings; return {source session id: copy}."""
    sessions = list(
        Session.objects.filter(programme=source)
        .select_related("inspiring_meeting")
        .prefetch_related("themes")
        .order_by("number")
    )
    copies = [
        Session(
            programme=programme,
            number=session.number,
            code=session.code,
            title=session.title,
            theory=session.theory,
            applied_work=session.applied_work,
            # A topic the participants voted belongs to that cohort: the new one votes again.
            topic="" if _session_was_voted(session) else session.topic,
            topic_vote_open=False,
            topic_vote_closed_at=None,
            starts_at=shift_datetime(session.starts_at, days),
            ends_at=shift_datetime(session.ends_at, days),
            venue=session.venue,
            online_url="",
        )
        for session in sessions
    ]
    _clean_all(copies, exclude=["programme"])
    copies = Session.objects.bulk_create(copies)
    mapping = {session.pk: copy for session, copy in zip(sessions, copies, strict=True)}

    links = [
        Session.themes.through(session_id=mapping[session.pk].pk, theme_id=themes[theme.pk].pk)
        for session in sessions
        for theme in session.themes.all()
        if theme.pk in themes
    ]
    Session.themes.through.objects.bulk_create(links)

    meetings = []
    for session in sessions:
        try:
            inspiring = session.inspiring_meeting
        except InspiringMeeting.DoesNotExist:
            continue
        meetings.append(
            InspiringMeeting(
                session=mapping[session.pk],
                speaker_kind=inspiring.speaker_kind,
                speaker="",  # a named person: not carried over
                organisation=inspiring.organisation,
                description=inspiring.description,
            )
        )
    _clean_all(meetings, exclude=["session"])
    InspiringMeeting.objects.bulk_create(meetings)
    return mapping


def _copy_competencies(source, programme):
    competencies = list(Competency.objects.filter(programme=source).order_by("order", "pk"))
    copies = [Competency(programme=programme, order=c.order, name=c.name) for c in competencies]
    _clean_all(copies, exclude=["programme"])
    copies = Competency.objects.bulk_create(copies)
    return {competency.pk: copy for competency, copy in zip(competencies, copies, strict=True)}


def _copy_questionnaires(source, programme, days, sessions, competencies):
    questionnaires = list(Questionnaire.objects.filter(programme=source).prefetch_related("questions").order_by("pk"))
    copies = [
        Questionnaire(
            programme=programme,
            kind=questionnaire.kind,
            title=questionnaire.title,
            introduction=questionnaire.introduction,
            session=sessions.get(questionnaire.session_id),
            audience=questionnaire.audience,
            opens_at=shift_datetime(questionnaire.opens_at, days),
            closes_at=shift_datetime(questionnaire.closes_at, days),
        )
        for questionnaire in questionnaires
    ]
    _clean_all(copies, exclude=["programme", "session"])
    copies = Questionnaire.objects.bulk_create(copies)
    questions = [
        Question(
            questionnaire=copy,
            order=question.order,
            text=question.text,
            help_text=question.help_text,
            kind=question.kind,
            choices=question.choices,
            required=question.required,
            competency=competencies.get(question.competency_id),
        )
        for questionnaire, copy in zip(questionnaires, copies, strict=True)
        for question in questionnaire.questions.all()
    ]
    _clean_all(questions, exclude=["questionnaire", "competency"])
    Question.objects.bulk_create(questions)


def _copy_committees(source, programme, days):
    committees = list(
        Committee.objects.filter(programme=source).prefetch_related("members", "meetings").order_by("kind")
    )
    copies = [Committee(programme=programme, kind=c.kind, name=c.name, mission=c.mission) for c in committees]
    _clean_all(copies, exclude=["programme"])
    copies = Committee.objects.bulk_create(copies)

    to_designate = _("À désigner")
    seats, meetings = [], []
    for committee, copy in zip(committees, copies, strict=True):
        for member in committee.members.all():
            if member.organisation_id:
                # The organisation keeps its seat; who represents it is decided again.
                seat = CommitteeMember(
                    committee=copy,
                    organisation_id=member.organisation_id,
                    role=member.role,
                    pending_validation=member.pending_validation,
                )
            else:
                # A seat held in one's own name: the seat stays, the person is not carried over.
                seat = CommitteeMember(
                    committee=copy, person_name=to_designate, role=member.role, pending_validation=True
                )
            seats.append(seat)
        for meeting in committee.meetings.all():
            meetings.append(
                Meeting(
                    committee=copy,
                    title=meeting.title,
                    held_on=shift_date(meeting.held_on, days),
                    starts_at=meeting.starts_at,
                    location=meeting.location,
                    agenda=meeting.agenda,
                    minutes="",
                )
            )
    _clean_all(seats, exclude=["committee", "organisation"])
    CommitteeMember.objects.bulk_create(seats)
    _clean_all(meetings, exclude=["committee"])
    Meeting.objects.bulk_create(meetings)

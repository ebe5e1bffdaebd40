"""The S3 topic vote: participants propose topics and vote, a coordinator closes the vote.

Rules (DESIGN §3): one vote per participant per programme (TopicVote.participant is
one-to-one), changeable until the vote closes; closing picks the proposal with the most
votes (a tie goes to the earliest proposal) and makes it the session's topic.

Every write locks the session row first (``select_for_update``): closing and voting are
serialised on it, so no vote can slip in between the count and the close.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from networks.models import Participant
from sessions.models import Session, TopicProposal, TopicVote

logger = logging.getLogger(__name__)


def _locked_session(session):
    """The session row, locked until the end of the current transaction."""
    return Session.objects.select_for_update().get(pk=session.pk)


def _check_same_edition(participant, session):
    if participant.enrolment.programme_id != session.programme_id:
        raise ValidationError(_("Ce participant ne fait pas partie de cette édition."))


def _check_vote_open(session):
    if session.topic_vote_closed_at is not None:
        raise ValidationError(_("Le vote est clos : il n'est plus possible de proposer un sujet ni de voter."))
    if not session.topic_vote_open:
        raise ValidationError(_("Le vote du sujet n'est pas ouvert pour cette session."))


def topic_results(session):
    """The session's proposals with their vote count (``num_votes``), the leading one first.

    Ties go to the earliest proposal, as when the vote is closed.
    """
    return (
        TopicProposal.objects.filter(session=session)
        .annotate(num_votes=Count("votes"))
        .order_by("-num_votes", "created_at", "pk")
    )


def topic_propose(*, participant: Participant, session: Session, title: str, description: str = "") -> TopicProposal:
    """Add a topic proposal to a session whose vote is open."""
    with transaction.atomic():
        session = _locked_session(session)
        _check_same_edition(participant, session)
        _check_vote_open(session)
        proposal = TopicProposal(
            session=session, title=title.strip(), description=description.strip(), proposed_by=participant
        )
        proposal.full_clean()
        proposal.save()
    return proposal


def topic_vote_cast(*, participant: Participant, proposal: TopicProposal) -> TopicVote:
    """Record the participant's vote for ``proposal``; a second vote replaces the first (one row)."""
    with transaction.atomic():
        session = _locked_session(proposal.session)
        proposal.session = session
        _check_same_edition(participant, session)
        _check_vote_open(session)
        previous = TopicVote.objects.filter(participant=participant).select_related("proposal__session").first()
        if (
            previous is not None
            and previous.proposal.session_id != session.pk
            and previous.proposal.session.topic_vote_closed_at is not None
        ):
            # One vote per participant per programme: a vote counted in a closed ballot stays where it is.
            raise ValidationError(
                _("Votre vote pour la session %(code)s est clos et ne peut plus être déplacé.")
                % {"code": previous.proposal.session.code}
            )
        # Uniqueness is the database's job (update_or_create below); validate the rest.
        TopicVote(participant=participant, proposal=proposal).full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                vote, _created = TopicVote.objects.update_or_create(
                    participant=participant, defaults={"proposal": proposal}
                )
        except IntegrityError:
            # A concurrent request inserted this participant's vote between our read and our insert:
            # the row now exists, so this vote becomes an update of it.
            TopicVote.objects.filter(participant=participant).update(proposal=proposal, voted_at=timezone.now())
            vote = TopicVote.objects.get(participant=participant)
    return vote


def topic_vote_close(*, session: Session, closed_by) -> TopicProposal:
    """Close the vote: the winning proposal's title becomes the session's topic.

    Refused (ValidationError, French message) when the vote is already closed or no vote
    was cast; PermissionDenied when ``closed_by`` does not coordinate the session's edition.
    Returns the winning proposal.
    """
    with transaction.atomic():
        session = _locked_session(session)
        if not closed_by.coordinated_programmes().filter(pk=session.programme_id).exists():
            raise PermissionDenied(_("Vous ne coordonnez pas cette édition."))
        if session.topic_vote_closed_at is not None:
            raise ValidationError(_("Le vote de la session %(code)s est déjà clos.") % {"code": session.code})
        winner = topic_results(session).first()
        if winner is None or winner.num_votes == 0:
            raise ValidationError(
                _("Aucun vote n'a été exprimé pour la session %(code)s : le vote ne peut pas être clos.")
                % {"code": session.code}
            )
        session.topic = winner.title
        session.topic_vote_open = False
        session.topic_vote_closed_at = timezone.now()
        session.full_clean()
        session.save(update_fields=["topic", "topic_vote_open", "topic_vote_closed_at"])
    logger.info(
        "Topic vote of session %s closed by user %s: %r (%s votes)",
        session.pk,
        closed_by.pk,
        winner.title,
        winner.num_votes,
    )
    return winner

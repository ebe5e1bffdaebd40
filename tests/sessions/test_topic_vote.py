"""The S3 topic vote: proposals, votes, closing (service, portal page, admin action)."""

from unittest import mock

import pytest
from django.contrib import admin
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.test import RequestFactory
from django.urls import reverse

from sessions import vote
from sessions.admin_actions import close_topic_vote
from sessions.models import Session, TopicProposal, TopicVote
from tests import factories
from tests.factories_community import assert_login_redirect, committee_user, count_queries, participant_in

URL = reverse("community:topic_vote")


@pytest.fixture
def s3(programme):
    return factories.SessionFactory(
        programme=programme, number=3, code="S3", title="Approfondir", topic_vote_open=True, within_edition=True
    )


@pytest.fixture
def me(programme):
    return participant_in(programme)


@pytest.fixture
def my_client(client, me):
    client.force_login(me.user)
    return client


def propose_url(session):
    return reverse("community:topic_propose", kwargs={"session_pk": session.pk})


def vote_url(proposal):
    return reverse("community:topic_vote_cast", kwargs={"proposal_pk": proposal.pk})


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- Services --------------------------------------------------------------------------


def test_propose_creates_a_proposal(me, s3):
    proposal = vote.topic_propose(participant=me, session=s3, title="  Co-construction territoriale ", description="")
    assert proposal.title == "Co-construction territoriale"
    assert proposal.proposed_by == me


def test_same_title_twice_is_refused(me, s3):
    vote.topic_propose(participant=me, session=s3, title="Engagement des salariés", description="")
    with pytest.raises(ValidationError, match="déjà été proposé"):
        vote.topic_propose(participant=me, session=s3, title="Engagement des salariés", description="")


def test_a_second_vote_replaces_the_first(me, s3):
    first = factories.TopicProposalFactory(session=s3)
    second = factories.TopicProposalFactory(session=s3)
    vote.topic_vote_cast(participant=me, proposal=first)
    vote.topic_vote_cast(participant=me, proposal=second)
    assert TopicVote.objects.filter(participant=me).count() == 1
    assert TopicVote.objects.get(participant=me).proposal == second


def test_a_concurrent_first_vote_becomes_an_update(me, s3):
    first = factories.TopicProposalFactory(session=s3)
    second = factories.TopicProposalFactory(session=s3)

    # Another request of the same participant committed its vote between our read and our insert:
    # the row exists and our insert hits the unique constraint.
    TopicVote.objects.create(participant=me, proposal=first)
    integrity_error = IntegrityError("UNIQUE constraint failed: programme_sessions_topicvote.participant_id")

    with mock.patch.object(TopicVote.objects, "update_or_create", side_effect=integrity_error):
        result = vote.topic_vote_cast(participant=me, proposal=second)
    assert result.proposal == second
    assert TopicVote.objects.filter(participant=me).count() == 1


def test_no_vote_and_no_proposal_after_closing(me, s3, coordinator):
    proposal = factories.TopicProposalFactory(session=s3)
    other = factories.TopicProposalFactory(session=s3)
    vote.topic_vote_cast(participant=me, proposal=proposal)
    vote.topic_vote_close(session=s3, closed_by=coordinator)
    with pytest.raises(ValidationError, match="clos"):
        vote.topic_vote_cast(participant=me, proposal=other)
    with pytest.raises(ValidationError, match="clos"):
        vote.topic_propose(participant=me, session=s3, title="Trop tard", description="")
    assert TopicVote.objects.get(participant=me).proposal == proposal
    assert not TopicProposal.objects.filter(title="Trop tard").exists()


def test_nothing_happens_while_the_vote_is_not_open(me, programme):
    session = factories.SessionFactory(programme=programme)
    with pytest.raises(ValidationError, match="pas ouvert"):
        vote.topic_propose(participant=me, session=session, title="Un sujet", description="")


def test_close_picks_the_winner_and_sets_the_topic(programme, s3, coordinator):
    lead = factories.TopicProposalFactory(session=s3, title="Changement d'échelle de l'innovation sociétale")
    other = factories.TopicProposalFactory(session=s3, title="Engagement des salariés")
    for _ in range(2):
        vote.topic_vote_cast(participant=participant_in(programme), proposal=lead)
    vote.topic_vote_cast(participant=participant_in(programme), proposal=other)

    winner = vote.topic_vote_close(session=s3, closed_by=coordinator)

    s3.refresh_from_db()
    assert winner == lead
    assert s3.topic == "Changement d'échelle de l'innovation sociétale"
    assert s3.topic_vote_open is False
    assert s3.topic_vote_closed_at is not None


def test_a_tie_goes_to_the_earliest_proposal(programme, s3, coordinator):
    earliest = factories.TopicProposalFactory(session=s3, title="Zèbre (proposé en premier)")
    later = factories.TopicProposalFactory(session=s3, title="Abeille (proposé ensuite)")
    vote.topic_vote_cast(participant=participant_in(programme), proposal=later)
    vote.topic_vote_cast(participant=participant_in(programme), proposal=earliest)
    assert vote.topic_vote_close(session=s3, closed_by=coordinator) == earliest


def test_close_without_votes_is_refused(s3, coordinator):
    factories.TopicProposalFactory(session=s3)
    with pytest.raises(ValidationError, match="Aucun vote"):
        vote.topic_vote_close(session=s3, closed_by=coordinator)
    s3.refresh_from_db()
    assert s3.topic_vote_open is True and s3.topic == "" and s3.topic_vote_closed_at is None


def test_close_twice_is_refused(me, s3, coordinator):
    vote.topic_vote_cast(participant=me, proposal=factories.TopicProposalFactory(session=s3))
    vote.topic_vote_close(session=s3, closed_by=coordinator)
    with pytest.raises(ValidationError, match="déjà clos"):
        vote.topic_vote_close(session=s3, closed_by=coordinator)


def test_only_a_coordinator_of_the_edition_closes(me, s3):
    vote.topic_vote_cast(participant=me, proposal=factories.TopicProposalFactory(session=s3))
    other_coordinator = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(other_coordinator)
    with pytest.raises(PermissionDenied):
        vote.topic_vote_close(session=s3, closed_by=other_coordinator)


def test_results_count_votes(programme, s3):
    proposal = factories.TopicProposalFactory(session=s3)
    factories.TopicProposalFactory(session=s3)
    for _ in range(3):
        vote.topic_vote_cast(participant=participant_in(programme), proposal=proposal)
    results = list(vote.topic_results(s3))
    assert [(p.pk, p.num_votes) for p in results][0] == (proposal.pk, 3)
    assert results[1].num_votes == 0


# --- Portal page -------------------------------------------------------------------------


def test_page_shows_proposals_counts_and_my_vote(my_client, me, programme, s3):
    mine = factories.TopicProposalFactory(session=s3, title="Co-construction territoriale")
    factories.TopicProposalFactory(session=s3, title="Engagement des salariés")
    vote.topic_vote_cast(participant=me, proposal=mine)
    vote.topic_vote_cast(participant=participant_in(programme), proposal=mine)

    response = my_client.get(URL)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Co-construction territoriale" in content and "Engagement des salariés" in content
    assert "2 voix" in content
    assert "Votre vote" in content
    assert response.context["my_vote"] == mine.pk
    assert "Proposer un sujet" in content


def test_empty_state_when_no_vote_is_open(my_client, programme):
    factories.SessionFactory(programme=programme)
    response = my_client.get(URL)
    assert response.status_code == 200
    assert "Aucun vote de sujet n'est ouvert" in response.content.decode()


def test_another_editions_vote_is_not_shown(my_client):
    factories.TopicProposalFactory(title="Sujet d'une autre édition")
    response = my_client.get(URL)
    assert "Sujet d'une autre édition" not in response.content.decode()
    assert "Aucun vote de sujet n'est ouvert" in response.content.decode()


def test_propose_through_the_page(my_client, me, s3):
    response = my_client.post(
        propose_url(s3), {f"s{s3.pk}-title": "Engagement des salariés", f"s{s3.pk}-description": "Pourquoi pas ?"}
    )
    assert response.status_code == 302
    proposal = TopicProposal.objects.get(session=s3)
    assert proposal.title == "Engagement des salariés" and proposal.proposed_by == me
    assert "Sujet proposé. Merci !" in texts(response)


def test_a_duplicate_proposal_shows_the_form_error(my_client, s3):
    factories.TopicProposalFactory(session=s3, title="Engagement des salariés")
    response = my_client.post(propose_url(s3), {f"s{s3.pk}-title": "Engagement des salariés"})
    assert response.status_code == 200
    assert "Ce sujet a déjà été proposé." in response.content.decode()
    assert TopicProposal.objects.filter(session=s3).count() == 1


def test_an_empty_proposal_shows_the_form_error(my_client, s3):
    response = my_client.post(propose_url(s3), {f"s{s3.pk}-title": ""})
    assert response.status_code == 200
    assert response.context["voting_sessions"][0].proposal_form.errors
    assert not TopicProposal.objects.exists()


def test_vote_then_vote_again_through_the_page(my_client, me, s3):
    first = factories.TopicProposalFactory(session=s3)
    second = factories.TopicProposalFactory(session=s3)
    my_client.post(vote_url(first))
    response = my_client.post(vote_url(second))
    assert response.status_code == 302
    assert list(TopicVote.objects.filter(participant=me).values_list("proposal_id", flat=True)) == [second.pk]


def test_after_closing_the_page_refuses_and_shows_the_result(my_client, me, s3, coordinator):
    winner = factories.TopicProposalFactory(session=s3, title="Co-construction territoriale")
    other = factories.TopicProposalFactory(session=s3)
    vote.topic_vote_cast(participant=me, proposal=winner)
    vote.topic_vote_close(session=s3, closed_by=coordinator)

    response = my_client.post(vote_url(other))
    assert response.status_code == 302
    assert any("Le vote est clos" in text for text in texts(response))
    assert TopicVote.objects.get(participant=me).proposal == winner

    response = my_client.post(propose_url(s3), {f"s{s3.pk}-title": "Trop tard"})
    assert response.status_code == 302
    assert any("Le vote est clos" in text for text in texts(response))
    assert not TopicProposal.objects.filter(title="Trop tard").exists()

    content = my_client.get(URL).content.decode()
    assert "Le sujet retenu est « Co-construction territoriale »." in content
    assert "Proposer un sujet" not in content
    assert vote_url(other) not in content


def test_another_editions_session_and_proposal_are_404(my_client):
    foreign = factories.TopicProposalFactory()
    assert my_client.post(propose_url(foreign.session), {f"s{foreign.session.pk}-title": "X"}).status_code == 404
    assert my_client.post(vote_url(foreign)).status_code == 404
    assert not TopicVote.objects.exists()


def test_post_only(my_client, s3):
    proposal = factories.TopicProposalFactory(session=s3)
    assert my_client.get(vote_url(proposal)).status_code == 405
    assert my_client.get(propose_url(s3)).status_code == 405


def test_logged_out_goes_to_login(client, s3):
    proposal = factories.TopicProposalFactory(session=s3)
    assert_login_redirect(client.get(URL))
    assert_login_redirect(client.post(propose_url(s3), {f"s{s3.pk}-title": "X"}))
    assert_login_redirect(client.post(vote_url(proposal)))
    assert not TopicProposal.objects.filter(title="X").exists()
    assert not TopicVote.objects.exists()


def test_committee_member_is_refused(client, programme, s3):
    proposal = factories.TopicProposalFactory(session=s3)
    client.force_login(committee_user(programme))
    assert client.get(URL).status_code == 403
    assert client.post(propose_url(s3), {f"s{s3.pk}-title": "X"}).status_code == 403
    assert client.post(vote_url(proposal)).status_code == 403


def test_coordinator_without_participation_is_offered_the_preview(client, coordinator):
    """No bare 403: the page that explains the portal and offers its read-only preview (issue 14)."""
    client.force_login(coordinator)
    response = client.get(URL)
    assert (response.status_code, response.url) == (302, reverse("preview:choose"))


def _add_networks(programme, session, count):
    for _ in range(count):
        author = participant_in(programme)
        voter = factories.ParticipantFactory(enrolment=author.enrolment)
        proposal = vote.topic_propose(
            participant=author, session=session, title=f"Sujet de {author.pk}", description=""
        )
        vote.topic_vote_cast(participant=author, proposal=proposal)
        vote.topic_vote_cast(participant=voter, proposal=proposal)


def test_query_count_does_not_grow_with_the_data(my_client, programme, s3):
    _add_networks(programme, s3, 1)
    closed = factories.SessionFactory(programme=programme, topic_vote_open=True)
    _add_networks(programme, closed, 1)
    one_network = count_queries(my_client, URL)

    _add_networks(programme, s3, 19)
    _add_networks(programme, closed, 19)
    Session.objects.filter(pk=closed.pk).update(topic_vote_open=False, topic_vote_closed_at="2018-09-01T10:00Z")
    twenty_networks = count_queries(my_client, URL)

    assert one_network == twenty_networks


# --- Admin action ------------------------------------------------------------------------


def _admin_request(user):
    request = RequestFactory().post("/admin/programme_sessions/session/")
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def test_admin_action_closes_and_reports(me, programme, s3, coordinator):
    winner = factories.TopicProposalFactory(session=s3, title="Co-construction territoriale")
    vote.topic_vote_cast(participant=me, proposal=winner)
    empty = factories.SessionFactory(programme=programme, topic_vote_open=True)
    request = _admin_request(coordinator)

    close_topic_vote(admin.ModelAdmin(Session, admin.site), request, Session.objects.filter(pk__in=[s3.pk, empty.pk]))

    s3.refresh_from_db()
    empty.refresh_from_db()
    assert s3.topic == "Co-construction territoriale" and not s3.topic_vote_open
    assert empty.topic_vote_open and empty.topic_vote_closed_at is None
    sent = [(m.level_tag, str(m)) for m in get_messages(request)]
    assert ("success", "S3 : vote clos, le sujet retenu est « Co-construction territoriale » (1 voix).") in sent
    assert any(level == "error" and "Aucun vote" in text for level, text in sent)


def test_admin_action_refuses_a_coordinator_of_another_edition(me, s3):
    vote.topic_vote_cast(participant=me, proposal=factories.TopicProposalFactory(session=s3))
    outsider = factories.UserFactory(is_staff=True)
    factories.ProgrammeFactory().coordinators.add(outsider)
    request = _admin_request(outsider)

    close_topic_vote(admin.ModelAdmin(Session, admin.site), request, Session.objects.filter(pk=s3.pk))

    s3.refresh_from_db()
    assert s3.topic_vote_open and s3.topic == ""
    assert [m.level_tag for m in get_messages(request)] == ["error"]

"""Invitations: the token, the email, the accept page and the admin actions."""

import datetime as dt
import re
import smtplib

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from alliances.invitations import (
    DEFAULT_BASE_URL,
    InvitationTokenGenerator,
    invitation_token_generator,
    user_invite,
)
from alliances.models import User
from governance.admin_actions import invite_committee_members
from governance.models import CommitteeMember
from networks.admin_actions import invite_participants
from networks.models import Participant
from tests import factories
from tests.factories_accounts import admin_request, sent_messages

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "une-phrase-de-passe-2018"


@pytest.fixture
def invited(db):
    user = factories.UserFactory(email="camille.martin@example.org", first_name="Camille")
    user.set_unusable_password()
    user.save()
    return user


def link_of(email):
    return re.search(r"https?://[^/\s]+(/compte/invitation/[^/\s]+/[^/\s]+/)", email.body).group(1)


def token_aged(user, age):
    generator = InvitationTokenGenerator()
    timestamp = generator._num_seconds(generator._now() - age)
    return generator._make_token_with_timestamp(user, timestamp, generator.secret)


def accept_url(user, token):
    return reverse(
        "accounts:invitation_accept", kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": token}
    )


def accept(client, link, password=NEW_PASSWORD):
    """Open the link (which moves the token into the session), then post the password."""
    page = client.get(link, follow=True)
    assert page.status_code == 200
    set_password_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    return client.post(set_password_url, {"new_password1": password, "new_password2": password})


def assert_invalid_page(response):
    assert response.status_code == 200
    content = response.content.decode()
    assert (
        "Ce lien d&#x27;invitation n&#x27;est plus valide" in content
        or "Ce lien d'invitation n'est plus valide" in content
    )
    assert "coordination" in content
    assert "new_password1" not in content
    assert response.context["form"] is None


# --- The token -------------------------------------------------------------------------------------


def test_tokens_are_valid_seven_days_whatever_the_password_reset_timeout(invited, settings):
    settings.PASSWORD_RESET_TIMEOUT = 60 * 60  # one hour
    assert invitation_token_generator.check_token(invited, token_aged(invited, dt.timedelta(days=6, hours=23)))
    assert not invitation_token_generator.check_token(invited, token_aged(invited, dt.timedelta(days=7, hours=1)))


def test_expiry_by_freezing_the_generators_clock(invited, monkeypatch):
    token = invitation_token_generator.make_token(invited)
    later = invitation_token_generator._now() + dt.timedelta(days=8)
    monkeypatch.setattr(invitation_token_generator, "_now", lambda: later)
    assert not invitation_token_generator.check_token(invited, token)


def test_invitation_and_password_reset_tokens_are_not_interchangeable(invited):
    assert not invitation_token_generator.check_token(invited, default_token_generator.make_token(invited))
    assert not default_token_generator.check_token(invited, invitation_token_generator.make_token(invited))


def test_malformed_tokens_are_refused(invited):
    for token in ("", "abc", "zz-zz-zz", "!!!-123", "1-2"):
        assert not invitation_token_generator.check_token(invited, token)


# --- The email ---------------------------------------------------------------------------------------


def test_user_invite_sends_a_french_email_with_an_absolute_link(invited, programme, coordinator):
    before = timezone.now().replace(microsecond=0)
    url = user_invite(user=invited, invited_by=coordinator, programme=programme)
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["camille.martin@example.org"]
    assert email.reply_to == [coordinator.email]
    assert programme.name in email.subject
    assert "\n" not in email.subject
    assert "Bonjour Camille," in email.body
    assert "7 jours" in email.body
    assert url in email.body
    assert url.startswith(f"{DEFAULT_BASE_URL}/compte/invitation/")
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="{url}"' in html
    invited.refresh_from_db()
    assert invited.invited_at >= before
    assert not invited.has_usable_password()


def test_user_invite_builds_the_link_from_the_request_or_a_base_url(invited, settings):
    settings.ALLOWED_HOSTS = ["alliances.example.org"]
    request = RequestFactory().get("/admin/", HTTP_HOST="alliances.example.org", secure=True)
    assert user_invite(user=invited, request=request).startswith("https://alliances.example.org/compte/invitation/")
    assert user_invite(user=invited, base_url="https://portail.example.org/").startswith(
        "https://portail.example.org/compte/invitation/"
    )


def test_an_inactive_account_is_not_invited(invited):
    invited.is_active = False
    invited.save()
    with pytest.raises(ValueError):
        user_invite(user=invited)
    assert mail.outbox == []


# --- The accept page --------------------------------------------------------------------------------


def test_happy_path_sets_the_password_logs_in_and_lands_on_the_portal(client, invited, programme):
    factories.ParticipantFactory(user=invited, enrolment__programme=programme)
    user_invite(user=invited)
    link = link_of(mail.outbox[0])

    page = client.get(link, follow=True)
    # The token leaves the URL at once (no leak through the Referer header).
    assert page.redirect_chain[-1][0].endswith("/choisir-mot-de-passe/")
    content = page.content.decode()
    assert "camille.martin@example.org" in content
    assert "new_password1" in content

    response = accept(client, link)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.session["_auth_user_id"] == str(invited.pk)
    invited.refresh_from_db()
    assert invited.check_password(NEW_PASSWORD)
    assert invited.invitation_accepted_at is not None
    assert invited.last_login is not None
    profile = client.get(reverse("accounts:profile"))
    assert "Bienvenue ! Votre compte est activé." in profile.content.decode()


def test_a_committee_member_lands_on_the_profile_page(client, invited):
    factories.CommitteeMemberFactory(user=invited)
    response = accept(client, link_of_invitation(invited))
    assert response["Location"] == reverse("accounts:profile")


def link_of_invitation(user):
    user_invite(user=user)
    return link_of(mail.outbox[-1])


def test_the_password_validators_apply(client, invited):
    response = accept(client, link_of_invitation(invited), password="court")
    assert response.status_code == 200
    assert response.context["form"].errors
    invited.refresh_from_db()
    assert not invited.has_usable_password()
    assert invited.invitation_accepted_at is None


def test_an_expired_link_is_refused(client, invited):
    user_invite(user=invited)
    invited.refresh_from_db()
    response = client.get(accept_url(invited, token_aged(invited, dt.timedelta(days=8))), follow=True)
    assert_invalid_page(response)


def test_a_used_link_is_refused(client, invited):
    link = link_of_invitation(invited)
    accept(client, link)
    client.post(reverse("accounts:logout"))
    assert_invalid_page(client.get(link, follow=True))
    # Another browser, too.
    assert_invalid_page(type(client)().get(link, follow=True))


def test_setting_the_password_otherwise_invalidates_the_link(client, invited):
    link = link_of_invitation(invited)
    invited.set_password(NEW_PASSWORD)
    invited.save()
    assert_invalid_page(client.get(link, follow=True))


def test_a_newer_invitation_supersedes_the_older_link(client, invited, monkeypatch):
    first = link_of_invitation(invited)
    # One second later (invited_at is stored to the second).
    later = timezone.now() + dt.timedelta(seconds=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    second = link_of_invitation(invited)
    assert first != second
    assert_invalid_page(client.get(first, follow=True))
    assert accept(type(client)(), second).status_code == 302


def test_wrong_tokens_and_users_are_refused(client, invited):
    user_invite(user=invited)
    assert_invalid_page(client.get(accept_url(invited, "abc-123456"), follow=True))
    assert_invalid_page(client.get(accept_url(invited, default_token_generator.make_token(invited)), follow=True))
    other = factories.UserFactory()
    assert_invalid_page(client.get(accept_url(other, invitation_token_generator.make_token(invited)), follow=True))
    bogus = reverse("accounts:invitation_accept", kwargs={"uidb64": "nimporte", "token": "quoi-123"})
    assert_invalid_page(client.get(bogus, follow=True))


def test_the_link_of_a_deactivated_account_is_refused(client, invited):
    link = link_of_invitation(invited)
    invited.is_active = False
    invited.save()
    assert_invalid_page(client.get(link, follow=True))


def test_posting_without_opening_the_link_first_is_refused(client, invited):
    user_invite(user=invited)
    set_password = accept_url(invited, "choisir-mot-de-passe")
    response = client.post(set_password, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert_invalid_page(response)
    invited.refresh_from_db()
    assert not invited.has_usable_password()


# --- Admin actions --------------------------------------------------------------------------------


def participant_admin():
    return admin.site._registry.get(Participant) or admin.ModelAdmin(Participant, admin.site)


def member_admin():
    return admin.site._registry.get(CommitteeMember) or admin.ModelAdmin(CommitteeMember, admin.site)


def test_invite_participants_of_the_coordinated_edition(programme, coordinator, settings):
    settings.ALLOWED_HOSTS = ["alliances.example.org"]
    mine = factories.ParticipantFactory.create_batch(2, enrolment__programme=programme)
    someone_elses = factories.ParticipantFactory(enrolment__programme=factories.ProgrammeFactory())
    request = admin_request(coordinator, HTTP_HOST="alliances.example.org")

    invite_participants(participant_admin(), request, Participant.objects.all())

    assert sorted(email.to[0] for email in mail.outbox) == sorted(p.user.email for p in mine)
    assert all("http://alliances.example.org/compte/invitation/" in email.body for email in mail.outbox)
    assert all(email.reply_to == [coordinator.email] for email in mail.outbox)
    assert sent_messages(request) == [
        ("success", "2 invitations envoyées."),
        ("warning", "1 participant d'une édition que vous ne coordonnez pas n'a pas été invité."),
    ]
    someone_elses.user.refresh_from_db()
    assert someone_elses.user.invited_at is None


def test_invite_participants_invites_each_person_once_and_skips_inactive_accounts(programme, coordinator):
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    # The same person in another edition of this coordinator's (one participation per edition).
    other_edition = factories.ProgrammeFactory()
    other_edition.coordinators.add(coordinator)
    factories.ParticipantFactory(user=participant.user, enrolment__programme=other_edition)
    factories.ParticipantFactory(enrolment__programme=programme, user__is_active=False)
    request = admin_request(coordinator)
    invite_participants(participant_admin(), request, Participant.objects.all())
    assert len(mail.outbox) == 1
    assert sent_messages(request) == [
        ("success", "1 invitation envoyée."),
        ("warning", "1 compte désactivé n'a pas été invité."),
    ]


def test_a_superuser_invites_participants_of_any_edition(superuser):
    factories.ParticipantFactory()
    request = admin_request(superuser)
    invite_participants(participant_admin(), request, Participant.objects.all())
    assert len(mail.outbox) == 1


def test_a_non_coordinator_invites_nobody(programme):
    factories.ParticipantFactory(enrolment__programme=programme)
    staff = factories.UserFactory(is_staff=True)
    request = admin_request(staff)
    invite_participants(participant_admin(), request, Participant.objects.all())
    assert mail.outbox == []
    assert sent_messages(request) == [
        ("warning", "1 participant d'une édition que vous ne coordonnez pas n'a pas été invité.")
    ]
    with pytest.raises(PermissionDenied):
        invite_participants(participant_admin(), admin_request(factories.UserFactory()), Participant.objects.all())


def test_invite_committee_members_skips_members_without_account(programme, coordinator):
    committee = factories.CommitteeFactory(programme=programme)
    with_account = factories.CommitteeMemberFactory(committee=committee, user=factories.UserFactory())
    factories.CommitteeMemberFactory.create_batch(2, committee=committee)
    factories.CommitteeMemberFactory(user=factories.UserFactory())  # another edition's committee
    request = admin_request(coordinator)

    invite_committee_members(member_admin(), request, CommitteeMember.objects.all())

    assert [email.to for email in mail.outbox] == [[with_account.user.email]]
    assert programme.name in mail.outbox[0].subject
    assert sent_messages(request) == [
        ("success", "1 invitation envoyée."),
        ("warning", "2 membres sans compte lié n'ont pas été invités : liez-leur d'abord un compte."),
        ("warning", "1 membre d'un comité d'une édition que vous ne coordonnez pas n'a pas été invité."),
    ]


def test_invite_committee_members_with_nothing_to_send_says_so(programme, coordinator):
    factories.CommitteeMemberFactory(committee__programme=programme)
    request = admin_request(coordinator)
    invite_committee_members(member_admin(), request, CommitteeMember.objects.none())
    assert sent_messages(request) == [("warning", "Aucune invitation envoyée.")]


def test_an_invited_account_accepts_from_the_admin_action_email(client, programme, coordinator):
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    user = participant.user
    user.set_unusable_password()
    user.save()
    invite_participants(participant_admin(), admin_request(coordinator), Participant.objects.all())
    assert accept(client, link_of(mail.outbox[0])).status_code == 302
    assert User.objects.get(pk=user.pk).check_password(NEW_PASSWORD)


def test_a_failed_email_is_counted_and_does_not_stop_the_others(programme, coordinator, monkeypatch):
    failing, working = factories.ParticipantFactory.create_batch(2, enrolment__programme=programme)
    original = EmailMultiAlternatives.send

    def send(self, *args, **kwargs):
        if self.to == [failing.user.email]:
            raise smtplib.SMTPRecipientsRefused({failing.user.email: (550, b"Unknown user")})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send)
    request = admin_request(coordinator)
    invite_participants(participant_admin(), request, Participant.objects.all())
    assert [email.to for email in mail.outbox] == [[working.user.email]]
    assert sent_messages(request) == [
        ("success", "1 invitation envoyée."),
        ("error", "1 invitation n'a pas pu être envoyée : réessayez plus tard."),
    ]

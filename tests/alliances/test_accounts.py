"""Accounts: login by email, throttling, logout, password change and reset, profile."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.core import mail
from django.urls import reverse

from alliances.models import User
from networks.models import Enrolment
from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("accounts:login")


@pytest.fixture(autouse=True)
def _axes_on(settings):
    # The throttling is part of what these tests check, whatever a shared fixture decides.
    settings.AXES_ENABLED = True


def post_login(client, email, password, ip="10.0.0.1"):
    return client.post(LOGIN_URL, {"username": email, "password": password}, REMOTE_ADDR=ip)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- Login and logout ----------------------------------------------------------------------


def test_login_page_asks_for_the_email_address_and_hides_the_portal_nav(client):
    response = client.get(LOGIN_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Adresse e-mail" in content
    assert 'type="email"' in content
    assert reverse("accounts:password_reset") in content
    # base.html only shows the portal's navigation to a logged-in person.
    assert reverse("sessions:list") not in content
    assert reverse("accounts:logout") not in content


def test_login_by_email_is_case_insensitive(client):
    user = factories.UserFactory(email="camille.martin@example.org")
    response = post_login(client, "  Camille.MARTIN@Example.org ", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("landing")  # which sends each role to its space
    assert logged_in_user_id(client) == str(user.pk)


def test_login_honours_next(client):
    factories.UserFactory(email="camille@example.org")
    response = client.post(
        f"{LOGIN_URL}?next=/compte/profil/",
        {"username": "camille@example.org", "password": PASSWORD, "next": "/compte/profil/"},
        REMOTE_ADDR="10.0.0.1",
    )
    assert response["Location"] == "/compte/profil/"


def test_wrong_password_shows_a_french_error(client):
    factories.UserFactory(email="camille@example.org")
    response = post_login(client, "camille@example.org", "pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect" in response.content.decode()
    assert logged_in_user_id(client) is None


def test_an_invited_person_who_has_not_chosen_a_password_cannot_log_in(client):
    user = factories.UserFactory(email="invite@example.org")
    user.set_unusable_password()
    user.save()
    response = post_login(client, "invite@example.org", "")
    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_logout_is_post_only(client):
    user = factories.UserFactory()
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert logged_in_user_id(client) == str(user.pk)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None
    assert "Vous êtes déconnecté(e)." in client.get(LOGIN_URL).content.decode()


# --- Throttling (django-axes) ----------------------------------------------------------------


def test_sixth_attempt_is_blocked_for_the_same_account_and_address(client):
    user = factories.UserFactory(email="camille@example.org")
    statuses = [post_login(client, "camille@example.org", f"mauvais-{n}", ip="10.0.0.1").status_code for n in range(5)]
    # Four refusals, and the fifth failure locks the pair (account, address) out.
    assert statuses == [200, 200, 200, 200, 429]

    blocked = post_login(client, "camille@example.org", PASSWORD, ip="10.0.0.1")
    assert blocked.status_code == 429
    assert "Connexion temporairement bloquée" in blocked.content.decode()
    assert logged_in_user_id(client) is None

    # Another address is not blocked for this account...
    other_client = client_class_from(client)
    assert post_login(other_client, "camille@example.org", PASSWORD, ip="10.0.0.2").status_code == 302
    assert logged_in_user_id(other_client) == str(user.pk)


def test_the_lockout_counts_one_account_whatever_the_case_of_its_address(client):
    factories.UserFactory(email="camille@example.org")
    for n, spelling in enumerate(["camille@example.org", "Camille@example.org", "CAMILLE@EXAMPLE.ORG"] * 2):
        response = post_login(client, spelling, f"mauvais-{n}")
    assert response.status_code == 429


def test_a_locked_account_does_not_block_another_account_from_the_same_address(client):
    factories.UserFactory(email="camille@example.org")
    other = factories.UserFactory(email="dominique@example.org")
    for n in range(5):
        post_login(client, "camille@example.org", f"mauvais-{n}")
    assert post_login(client, "dominique@example.org", PASSWORD).status_code == 302
    assert logged_in_user_id(client) == str(other.pk)


def test_a_successful_login_resets_the_failure_count(client):
    factories.UserFactory(email="camille@example.org")
    for n in range(4):
        post_login(client, "camille@example.org", f"mauvais-{n}")
    assert post_login(client, "camille@example.org", PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    statuses = [post_login(client, "camille@example.org", f"encore-{n}").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 200]


def test_behind_the_proxy_the_lockout_is_per_real_client_address(client, settings):
    # The compose deployment: one reverse proxy, whose address gunicorn sees for every client.
    settings.AXES_IPWARE_PROXY_COUNT = 1
    user = factories.UserFactory(email="camille@example.org")

    def attempt(password, client_address, **extra):
        return client.post(
            LOGIN_URL,
            {"username": "camille@example.org", "password": password},
            REMOTE_ADDR="172.16.0.1",
            HTTP_X_FORWARDED_FOR=client_address,
            **extra,
        )

    for n in range(5):
        attempt(f"mauvais-{n}", "10.0.0.1")
    assert attempt(PASSWORD, "10.0.0.1").status_code == 429
    # An address the attacker writes in front of the proxy's entry changes nothing.
    assert attempt(PASSWORD, "10.0.0.7, 10.0.0.1").status_code == 429
    # Another client behind the same proxy is not locked out.
    assert attempt(PASSWORD, "10.0.0.2").status_code == 302
    assert logged_in_user_id(client) == str(user.pk)


def client_class_from(client):
    return type(client)()


# --- Password change and reset -----------------------------------------------------------------


def test_password_change_requires_login(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_password_change(client):
    user = factories.UserFactory()
    client.force_login(user)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    assert "Changer de mot de passe" in page.content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "une-phrase-de-passe-2018",
            "new_password2": "une-phrase-de-passe-2018",
        },
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    user.refresh_from_db()
    assert user.check_password("une-phrase-de-passe-2018")
    assert client.get(reverse("accounts:password_change_done")).status_code == 200


def test_password_change_applies_the_validators(client):
    user = factories.UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "court", "new_password2": "court"},
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_does_not_reveal_whether_the_address_exists(client, django_capture_on_commit_callbacks):
    factories.UserFactory(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post(reverse("accounts:password_reset"), {"email": "personne@example.org"})
        known = client.post(reverse("accounts:password_reset"), {"email": "Camille@example.org"})
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["camille@example.org"]


def test_password_reset_round_trip(client, django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "camille@example.org"})
    email = mail.outbox[0]
    assert "nouveau mot de passe" in email.subject
    assert email.alternatives and email.alternatives[0][1] == "text/html"
    link = re.search(r"http://testserver(/compte/mot-de-passe/nouveau/\S+/\S+/)", email.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choisissez un nouveau mot de passe" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url,
        {"new_password1": "une-phrase-de-passe-2018", "new_password2": "une-phrase-de-passe-2018"},
    )
    assert done["Location"] == reverse("accounts:password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("une-phrase-de-passe-2018")

    # The link served once.
    again = client.get(link, follow=True)
    assert "Lien expiré ou déjà utilisé" in again.content.decode()


def test_reset_pages_are_french_and_extend_the_base(client):
    for name in ("password_reset", "password_reset_done", "password_reset_complete"):
        content = client.get(reverse(f"accounts:{name}")).content.decode()
        assert 'lang="fr"' in content
        assert "Alliances innovantes" in content


# --- Profile ---------------------------------------------------------------------------------


PROFILE_URL = reverse("accounts:profile")


def profile_data(**overrides):
    data = {
        "first_name": "Camille",
        "last_name": "Martin",
        "phone": "01 23 45 67 89",
        "notify_session_reminders": "on",
        "notify_meeting_reminders": "on",
        "notify_questionnaires": "on",
        "notify_announcements": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_profile_requires_login(client):
    response = client.get(PROFILE_URL)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={PROFILE_URL}"


def test_a_person_without_participation_edits_names_phone_and_notifications(client):
    member = factories.CommitteeMemberFactory(user=factories.UserFactory()).user
    client.force_login(member)
    page = client.get(PROFILE_URL)
    assert page.status_code == 200
    assert "Visible dans l'annuaire" not in page.content.decode()

    response = client.post(PROFILE_URL, profile_data(notify_announcements=None, notify_meeting_reminders=None))
    assert response.status_code == 302
    assert response["Location"] == PROFILE_URL
    member.refresh_from_db()
    assert (member.first_name, member.last_name, member.phone) == ("Camille", "Martin", "01 23 45 67 89")
    assert member.notify_session_reminders and member.notify_questionnaires
    assert not member.notify_announcements and not member.notify_meeting_reminders
    assert "Profil enregistré." in client.get(PROFILE_URL).content.decode()


def test_a_participant_also_edits_job_title_and_directory_listing(client, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme, job_title="Chargée de mission")
    client.force_login(participant.user)
    page = client.get(PROFILE_URL)
    content = page.content.decode()
    assert "Visible dans l&#x27;annuaire" in content or "Visible dans l'annuaire" in content
    assert "Chargée de mission" in content

    response = client.post(
        PROFILE_URL,
        profile_data(**{"participation-job_title": "Délégué général", "participation-listed_in_directory": None}),
    )
    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.job_title == "Délégué général"
    assert participant.listed_in_directory is False
    participant.user.refresh_from_db()
    assert participant.user.first_name == "Camille"


def test_the_profile_edits_the_current_participation_only(client, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme, job_title="Avant")
    older = factories.ParticipantFactory(
        user=participant.user,
        enrolment__programme=factories.ProgrammeFactory(starts_on="2015-01-01", ends_on="2015-12-31"),
        job_title="Ancienne fonction",
    )
    client.force_login(participant.user)
    client.post(PROFILE_URL, profile_data(**{"participation-job_title": "Après"}))
    participant.refresh_from_db()
    older.refresh_from_db()
    assert participant.job_title == "Après"
    assert older.job_title == "Ancienne fonction"


def test_a_refused_enrolment_is_no_participation_for_the_profile(client, programme):
    participant = factories.ParticipantFactory(
        enrolment__programme=programme,
        enrolment__status=Enrolment.Status.REFUSED,
        enrolment__refusal_reason="Calendrier",
    )
    client.force_login(participant.user)
    assert "Visible dans l" not in client.get(PROFILE_URL).content.decode()


def test_an_invalid_profile_is_shown_again_and_nothing_is_saved(client, programme):
    participant = factories.ParticipantFactory(enrolment__programme=programme, job_title="Avant")
    client.force_login(participant.user)
    response = client.post(PROFILE_URL, profile_data(first_name="x" * 151, **{"participation-job_title": "Après"}))
    assert response.status_code == 200
    assert response.context["form"].errors
    participant.refresh_from_db()
    assert participant.job_title == "Avant"
    assert User.objects.get(pk=participant.user_id).first_name != "x" * 151


def test_profile_page_costs_three_queries(client, programme, django_assert_num_queries):
    participant = factories.ParticipantFactory(enrolment__programme=programme)
    client.force_login(participant.user)
    # The session, the user, the current participation (with its enrolment, network and edition).
    with django_assert_num_queries(3):
        assert client.get(PROFILE_URL).status_code == 200


# --- One lockout per account, whatever the spelling and the login page (issue 13, item 1) -------------


ADMIN_LOGIN_URL = reverse("admin:login")


def post_admin_login(client, email, password, ip="10.0.0.1"):
    return client.post(ADMIN_LOGIN_URL, {"username": email, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


def test_a_lockout_on_the_portal_holds_on_the_admin_login_with_another_spelling(client):
    coordinator = factories.UserFactory(email="coordination@example.org", is_staff=True)
    for n in range(5):
        post_login(client, "coordination@example.org", f"mauvais-{n}")

    response = post_admin_login(client, "Coordination@Example.org", PASSWORD)
    assert response.status_code == 429
    assert "Connexion temporairement bloquée" in response.content.decode()
    assert logged_in_user_id(client) is None
    # Nor does padding the address with spaces, or the portal with upper case, open it.
    assert post_admin_login(client, "  COORDINATION@example.org ", PASSWORD).status_code == 429
    assert post_login(client, "COORDINATION@EXAMPLE.ORG", PASSWORD).status_code == 429
    assert logged_in_user_id(client) is None
    # The account itself is fine: from another address it logs in.
    other = client_class_from(client)
    assert post_admin_login(other, "Coordination@example.org", PASSWORD, ip="10.0.0.2").status_code == 302
    assert logged_in_user_id(other) == str(coordinator.pk)


def test_failures_on_the_admin_login_count_with_the_portal_ones(client):
    factories.UserFactory(email="coordination@example.org", is_staff=True)
    for n, spelling in enumerate(["Coordination@example.org", "COORDINATION@example.org", " coordination@Example.ORG"]):
        assert post_admin_login(client, spelling, f"mauvais-{n}").status_code == 200
    for n in range(2):
        post_login(client, "coordination@EXAMPLE.org", f"encore-{n}")
    assert post_login(client, "coordination@example.org", PASSWORD).status_code == 429
    # Every attempt was recorded under the one normalised account.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"coordination@example.org"}


def test_authenticate_with_the_email_keyword_is_throttled_like_the_forms(rf):
    user = factories.UserFactory(email="camille@example.org")
    for n in range(5):
        request = rf.post("/", REMOTE_ADDR="10.0.0.1")
        assert authenticate(request, email=f" Camille@Example.org{' ' * n}", password=f"mauvais-{n}") is None
    request = rf.post("/", REMOTE_ADDR="10.0.0.1")
    assert authenticate(request, email="camille@example.org", password=PASSWORD) is None
    assert getattr(request, "axes_locked_out", False)
    request = rf.post("/", REMOTE_ADDR="10.0.0.9")
    assert authenticate(request, username="CAMILLE@example.org", password=PASSWORD) == user


def test_a_password_reset_does_not_lift_a_lockout(client, django_capture_on_commit_callbacks):
    user = factories.UserFactory(email="camille@example.org")
    for n in range(5):
        post_login(client, "camille@example.org", f"mauvais-{n}")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "Camille@example.org"}, REMOTE_ADDR="10.0.0.1")
    link = re.search(r"https?://[^/\s]+(/compte/mot-de-passe/nouveau/\S+/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "une-phrase-de-passe-2018"
    client.post(set_password_url, {"new_password1": new, "new_password2": new}, REMOTE_ADDR="10.0.0.1")
    user.refresh_from_db()
    assert user.check_password(new)
    assert post_login(client, "camille@example.org", new).status_code == 429
    assert logged_in_user_id(client) is None


def test_accepting_an_invitation_does_not_log_a_locked_account_in(client):
    from alliances.invitations import invitation_path

    user = factories.UserFactory(email="camille@example.org")
    user.set_unusable_password()
    user.save()
    for n in range(5):
        post_login(client, "Camille@example.org", f"mauvais-{n}")
    set_password_url = client.get(invitation_path(user), follow=True).redirect_chain[-1][0]
    new = "une-phrase-de-passe-2018"
    response = client.post(set_password_url, {"new_password1": new, "new_password2": new}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 302
    assert response["Location"] == LOGIN_URL
    assert logged_in_user_id(client) is None
    user.refresh_from_db()
    assert user.check_password(new)
    assert "ce compte est bloqué pour 15 minutes" in client.get(LOGIN_URL).content.decode()

"""« Publier et envoyer maintenant » on an announcement's admin page, and what the page says about its e-mail.

The button publishes (a draft dated later is published now) and records one e-mail per person
(the notification rows), sent at once; the page then reads « Envoyée le … à N personnes » and the
waiting and failed counts from those rows. Saving says what the periodic job will do. A second
click sends nothing and says so. Only the edition's coordinators (and superusers) may send.
"""

import datetime as dt
import zoneinfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from alliances.models import Notification
from sessions.admin import _moment
from sessions.models import Announcement
from sessions.reminders import ANNOUNCEMENT
from tests import factories

pytestmark = pytest.mark.django_db

SEND = "Publier et envoyer maintenant"


@pytest.fixture
def people(programme):
    """Three participants who want the news, one who does not, one of another edition."""
    enrolment = factories.EnrolmentFactory(programme=programme)
    wanted = [
        factories.ParticipantFactory(enrolment=enrolment, user=factories.UserFactory(email=f"p{n}@example.org"))
        for n in range(3)
    ]
    factories.ParticipantFactory(
        enrolment=enrolment, user=factories.UserFactory(email="sans-actus@example.org", notify_announcements=False)
    )
    factories.ParticipantFactory(user=factories.UserFactory(email="autre@example.org"))
    return wanted


def change_url(announcement):
    return reverse("admin:programme_sessions_announcement_change", args=[announcement.pk])


def form_data(announcement, **extra):
    local = timezone.localtime(announcement.published_at)
    return {
        "programme": announcement.programme_id,
        "title": announcement.title,
        "body": announcement.body,
        "author": "",
        "published_at_0": local.strftime("%d/%m/%Y"),
        "published_at_1": local.strftime("%H:%M:%S"),
        **extra,
    }


def post(client, announcement, capture, **extra):
    """Post the change form; the e-mails go once the transaction commits; then the page it redirects to."""
    with capture(execute=True):
        response = client.post(change_url(announcement), form_data(announcement, **extra))
    assert response.status_code == 302, response.content.decode()
    return client.get(response["Location"])


def page(client, announcement):
    response = client.get(change_url(announcement))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_offers_to_send_with_the_recipient_count(client, coordinator, programme, people):
    draft = factories.AnnouncementFactory(programme=programme, published_at=timezone.now() + dt.timedelta(days=2))
    client.force_login(coordinator)
    html = page(client, draft)
    assert f"{SEND} à 3 personnes" in html
    assert "Pas encore envoyée par e-mail." in html
    assert "sera publiée le" in html


def test_publish_and_send_publishes_a_draft_and_emails_each_person_once(
    client, coordinator, programme, people, django_capture_on_commit_callbacks
):
    draft = factories.AnnouncementFactory(programme=programme, published_at=timezone.now() + dt.timedelta(days=2))
    client.force_login(coordinator)
    before = timezone.now()
    response = post(client, draft, django_capture_on_commit_callbacks, _send_now="1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Annonce publiée : son e-mail part maintenant à 3 personnes." in html
    draft.refresh_from_db()
    assert before <= draft.published_at <= timezone.now()
    assert sorted(m.to[0] for m in mail.outbox) == ["p0@example.org", "p1@example.org", "p2@example.org"]
    sent_at = Notification.objects.get(recipient=people[0].user).sent_at
    assert f"Envoyée le {_moment(sent_at)} à 3 personnes." in html
    assert SEND not in html  # nobody left to send it to: no button


def test_clicking_twice_sends_nothing_more_and_says_so(
    client, coordinator, programme, people, django_capture_on_commit_callbacks
):
    announcement = factories.AnnouncementFactory(programme=programme)
    client.force_login(coordinator)
    post(client, announcement, django_capture_on_commit_callbacks, _send_now="1")
    response = post(client, announcement, django_capture_on_commit_callbacks, _send_now="1")
    assert "déjà été envoyée à toutes les personnes concernées : aucun nouvel e-mail" in response.content.decode()
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(kind=ANNOUNCEMENT).count() == 3


def test_a_participant_added_later_gets_it_with_the_next_click(
    client, coordinator, programme, people, django_capture_on_commit_callbacks
):
    announcement = factories.AnnouncementFactory(programme=programme)
    client.force_login(coordinator)
    post(client, announcement, django_capture_on_commit_callbacks, _send_now="1")
    factories.ParticipantFactory(enrolment=people[0].enrolment, user=factories.UserFactory(email="new@example.org"))
    assert f'value="{SEND} à 1 personne"' in page(client, announcement)
    response = post(client, announcement, django_capture_on_commit_callbacks, _send_now="1")
    assert "part maintenant à 1 personne." in response.content.decode()
    assert [m.to[0] for m in mail.outbox][-1] == "new@example.org" and len(mail.outbox) == 4


def test_the_page_counts_sent_waiting_and_failed_from_the_notification_rows(client, coordinator, programme, people):
    announcement = factories.AnnouncementFactory(programme=programme)
    content_type = ContentType.objects.get_for_model(Announcement)
    sent_at = timezone.make_aware(dt.datetime(2026, 12, 3, 10, 5), zoneinfo.ZoneInfo("Europe/Paris"))
    extra = factories.ParticipantFactory(enrolment=people[0].enrolment)
    for participant, status in zip(
        [*people, extra],
        [Notification.Status.SENT, Notification.Status.SENT, Notification.Status.PENDING, Notification.Status.FAILED],
        strict=True,
    ):
        Notification.objects.create(
            kind=ANNOUNCEMENT,
            content_type=content_type,
            object_id=announcement.pk,
            recipient=participant.user,
            programme=programme,
            status=status,
            sent_at=sent_at if status == Notification.Status.SENT else None,
        )
    client.force_login(coordinator)
    html = page(client, announcement)
    assert "Envoyée le 3 décembre 2026 à 10 h 05 à 2 personnes." in html
    assert "1 e-mail en attente d&#x27;envoi." in html or "1 e-mail en attente d'envoi." in html
    assert "1 e-mail en échec." in html
    assert "famille=announcement&amp;status=failed" in html
    assert SEND not in html  # everyone has a row: nothing to add


@pytest.mark.parametrize(
    ("published", "expected"),
    [
        (dt.timedelta(hours=-1), "Elle sera envoyée par e-mail à 3 personnes dans les prochaines minutes."),
        (dt.timedelta(days=1), "envoyée par e-mail à 3 personnes dans les minutes qui suivent."),
        (dt.timedelta(days=-10), "Publiée il y a plus de 3 jours, elle ne part plus d"),
    ],
    ids=["recent", "draft", "old"],
)
def test_saving_says_what_will_happen(
    client, coordinator, programme, people, django_capture_on_commit_callbacks, published, expected
):
    announcement = factories.AnnouncementFactory(programme=programme, published_at=timezone.now() + published)
    client.force_login(coordinator)
    response = post(client, announcement, django_capture_on_commit_callbacks, _save="1")
    html = response.content.decode().replace("&#x27;", "'")
    assert expected in html
    assert mail.outbox == []  # saving sends nothing by itself: the periodic job does


def test_saving_warns_when_nobody_will_receive_it(client, coordinator, programme, django_capture_on_commit_callbacks):
    announcement = factories.AnnouncementFactory(programme=programme)
    client.force_login(coordinator)
    response = post(client, announcement, django_capture_on_commit_callbacks, _save="1")
    assert "Personne ne recevra cette annonce par e-mail" in response.content.decode()


def test_another_editions_coordinator_cannot_send(client, coordinator, people, django_capture_on_commit_callbacks):
    other = factories.AnnouncementFactory()
    factories.ParticipantFactory(enrolment=factories.EnrolmentFactory(programme=other.programme))
    client.force_login(coordinator)
    assert client.get(change_url(other)).status_code in (302, 404)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(other), form_data(other, _send_now="1"))
    assert response.status_code in (302, 404)
    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_participant_and_a_visitor_are_turned_away(client, programme, people, django_capture_on_commit_callbacks):
    announcement = factories.AnnouncementFactory(programme=programme)
    login = reverse("admin:login")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(announcement), form_data(announcement, _send_now="1"))
    assert response.status_code == 302 and response["Location"].startswith(login)
    client.force_login(people[0].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(announcement), form_data(announcement, _send_now="1"))
    assert response.status_code == 302 and response["Location"].startswith(login)
    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_superuser_may_send(client, superuser, programme, people, django_capture_on_commit_callbacks):
    announcement = factories.AnnouncementFactory(programme=programme)
    client.force_login(superuser)
    post(client, announcement, django_capture_on_commit_callbacks, _send_now="1")
    assert len(mail.outbox) == 3


def test_the_moment_reads_as_in_french():
    moment = timezone.make_aware(dt.datetime(2026, 12, 3, 10, 5), zoneinfo.ZoneInfo("Europe/Paris"))
    with translation.override("fr"):
        assert _moment(moment) == "3 décembre 2026 à 10 h 05"

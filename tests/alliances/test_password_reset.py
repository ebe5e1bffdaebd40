"""The password-reset request: same answer for any address, sent by a task, throttled (issue 13, item 6)."""

import multiprocessing
import re

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliances import tasks
from alliances.throttling import client_ip, password_reset_allowed
from tests import factories
from tests.fake_smtp import FakeSMTPServer

pytestmark = pytest.mark.django_db

RESET_URL = reverse("accounts:password_reset")
DONE_URL = reverse("accounts:password_reset_done")


@pytest.fixture
def camille(db):
    return factories.UserFactory(email="camille@example.org")


def ask(client, email, ip="10.0.0.1"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=ip)


def user_table_queries(queries):
    return [q["sql"] for q in queries if "alliances_user" in q["sql"]]


# --- Same answer, through the task queue ------------------------------------------------------


def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_work(
    client, camille, django_capture_on_commit_callbacks
):
    answers = []
    for address in ("camille@example.org", "personne@example.org"):
        with django_capture_on_commit_callbacks(execute=False) as callbacks, CaptureQueriesContext(connection) as sql:
            response = ask(client, address)
        answers.append((response.status_code, response["Location"], response.content, len(callbacks), len(sql)))
        # The page does not look the address up: nothing it does depends on the account.
        assert user_table_queries(sql.captured_queries) == []
    assert answers[0] == answers[1] == (302, DONE_URL, b"", 1, answers[0][4])
    assert mail.outbox == []  # nothing is sent by the request itself


def test_the_task_sends_the_link_to_a_known_address_only(client, camille, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "personne@example.org")
        ask(client, "  Camille@Example.org ")
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    message = mail.outbox[0]
    assert "nouveau mot de passe" in message.subject
    assert message.alternatives and message.alternatives[0][1] == "text/html"
    assert re.search(r"http://testserver/compte/mot-de-passe/nouveau/\S+/\S+/", message.body)


def test_no_link_for_an_inactive_account_or_one_without_a_password(client, django_capture_on_commit_callbacks):
    factories.UserFactory(email="ancien@example.org", is_active=False)
    invited = factories.UserFactory(email="invite@example.org")
    invited.set_unusable_password()
    invited.save()
    with django_capture_on_commit_callbacks(execute=True):
        first = ask(client, "ancien@example.org")
        second = ask(client, "invite@example.org")
    assert first["Location"] == second["Location"] == DONE_URL
    assert mail.outbox == []


def test_the_task_waits_for_the_commit(client, camille, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ask(client, "camille@example.org")
    assert mail.outbox == []
    callbacks[0]()
    assert len(mail.outbox) == 1


def test_the_email_is_in_the_language_of_the_page(client, camille, django_capture_on_commit_callbacks):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, "camille@example.org")
    assert "nouveau mot de passe" not in mail.outbox[0].subject


# --- Throttle -----------------------------------------------------------------------------------


def test_requests_for_one_address_are_throttled_whatever_its_spelling(
    client, camille, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 3
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [
            ask(client, spelling, ip=f"10.0.0.{n}").status_code
            for n, spelling in enumerate(
                ["camille@example.org", "Camille@example.org", " CAMILLE@example.org", "camille@example.org"]
            )
        ]
    assert statuses == [302, 302, 302, 429]
    assert len(mail.outbox) == 3
    refused = ask(client, "camille@example.org", ip="10.0.0.9")
    assert "Trop de demandes de nouveau mot de passe" in refused.content.decode()
    # Another address is not affected.
    assert ask(client, "dominique@example.org").status_code == 302


def test_the_throttle_says_the_same_for_a_known_and_an_unknown_address(client, camille, settings):
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 1
    ask(client, "camille@example.org")
    ask(client, "personne@example.org")
    known = ask(client, "camille@example.org")
    unknown = ask(client, "personne@example.org")
    assert known.status_code == unknown.status_code == 429
    assert known.context["form"].non_field_errors() == unknown.context["form"].non_field_errors()
    assert [t.name for t in known.templates] == [t.name for t in unknown.templates]


def test_requests_from_one_client_address_are_throttled(client, settings, django_capture_on_commit_callbacks):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 4
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        statuses = [ask(client, f"personne{n}@example.org", ip="10.0.0.1").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 302, 429]
    assert len(callbacks) == 4
    assert ask(client, "personne9@example.org", ip="10.0.0.2").status_code == 302


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(client, settings):
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 1
    settings.AXES_IPWARE_PROXY_COUNT = 1
    via_proxy = {"REMOTE_ADDR": "172.16.0.1"}
    assert ask_from(client, "a@example.org", "10.0.0.1", **via_proxy).status_code == 302
    assert ask_from(client, "b@example.org", "10.0.0.2", **via_proxy).status_code == 302
    assert ask_from(client, "c@example.org", "10.0.0.1", **via_proxy).status_code == 429
    # Only the entry the proxy wrote counts: what the client wrote before it does not.
    assert ask_from(client, "d@example.org", "10.9.9.9, 10.0.0.1", **via_proxy).status_code == 429


def ask_from(client, email, forwarded_for, **meta):
    return client.post(RESET_URL, {"email": email}, HTTP_X_FORWARDED_FOR=forwarded_for, **meta)


def _count_allowed(email, tries, results):
    results.put(sum(password_reset_allowed(email=email, client_ip="10.0.0.1") for _ in range(tries)))


@pytest.mark.skipif(
    "redis" not in __import__("django.conf").conf.settings.CACHES["default"]["BACKEND"].lower(),
    reason="several processes share a count only through Redis (the production cache)",
)
def test_several_processes_share_one_count(settings):
    """Four real processes (as four gunicorn workers) asking at once: the limit holds over all of them."""
    settings.PASSWORD_RESET_LIMIT_PER_ADDRESS = 5
    settings.PASSWORD_RESET_LIMIT_PER_CLIENT = 1000
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_count_allowed, args=("camille@example.org", 10, results)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    assert sum(results.get(timeout=5) for _ in workers) == 5


def test_the_cache_or_the_broker_gone_is_a_french_message_not_an_error(client, monkeypatch):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to localhost:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_password_reset, "delay_on_commit", broker_down)
    response = ask(client, "camille@example.org")
    assert response.status_code == 503
    assert "momentanément indisponible" in response.content.decode()


# --- The task's failures ------------------------------------------------------------------------


def run_as_worker(task, *args):
    """Run ``task`` as a worker would (not eagerly), on its first delivery."""
    task.push_request(retries=0, is_eager=False, called_directly=False)
    try:
        return task.run(*args)
    finally:
        task.pop_request()


def test_a_transient_smtp_failure_is_retried(camille, settings, monkeypatch):
    retried = {}

    def fake_retry(*, exc, countdown, **kwargs):
        retried.update(exc=exc, countdown=countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(tasks.send_password_reset, "retry", fake_retry)
    with FakeSMTPServer(refuse={"camille@example.org": "451 4.7.1 Greylisted, try again later"}) as smtp:
        smtp.use_in(settings)
        with pytest.raises(Retry):
            run_as_worker(tasks.send_password_reset, "camille@example.org", "https://alliances.example.org/")
        assert retried["countdown"] == 60
        smtp.accept("camille@example.org")
        assert run_as_worker(tasks.send_password_reset, "camille@example.org", "https://alliances.example.org/") == 1
        [(recipient, message)] = smtp.parsed()
    assert recipient == "camille@example.org"
    assert "https://alliances.example.org/compte/mot-de-passe/nouveau/" in message.get_body(("plain",)).get_content()


def test_a_permanent_smtp_failure_is_logged_not_retried(camille, settings, caplog):
    with FakeSMTPServer(refuse={"camille@example.org": "550 5.1.1 No such user"}) as smtp:
        smtp.use_in(settings)
        assert run_as_worker(tasks.send_password_reset, "camille@example.org", "https://alliances.example.org/") == 0
    assert "Password reset email not sent" in caplog.text
    assert "550" in caplog.text


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "10.0.0.1", "172.16.0.1"),  # no proxy declared: the header is the client's own words
        (1, "10.0.0.1", "10.0.0.1"),
        (1, "6.6.6.6, 10.0.0.1", "10.0.0.1"),
        (2, "10.0.0.1, 172.16.0.2", "10.0.0.1"),
        (2, "10.0.0.1", "172.16.0.1"),  # fewer entries than proxies: the request bypassed one
        (1, "pas-une-adresse", "172.16.0.1"),
        (1, "", "172.16.0.1"),
    ],
)
def test_client_ip(rf, settings, count, forwarded, expected):
    settings.AXES_IPWARE_PROXY_COUNT = count
    request = rf.get("/", REMOTE_ADDR="172.16.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected

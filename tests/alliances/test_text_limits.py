"""Free text has a length limit, and dates stay within their edition (issue 13, item 17).

Every text field people fill is a ``LimitedTextField``: the portal's forms, the admin and model
validation refuse a longer text with Django's French message, and the database refuses it from
any writer (a CHECK on the column). A session is held within its edition's dates, and a roadmap
action is not due before its edition starts: refused with a message naming the edition's dates.
"""

import datetime as dt
from html import unescape

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone

from alliances.fields import LimitedTextField
from networks import services
from networks.models import Partnership, RoadmapAction
from sessions.models import Session
from tests import factories
from tests.factories_networks import network_with_work

pytestmark = pytest.mark.django_db

PROJECT_APPS = ("alliances", "networks", "programme_sessions", "governance", "evaluation")
# Written by the platform itself, never typed by a person: an SMTP or rendering error.
MACHINE_WRITTEN = {("alliances", "notification", "last_error"), ("alliances", "report", "error")}


def _text_fields():
    for app_label in PROJECT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.startswith("Historical"):
                continue  # simple_history's copies: the same fields as their model
            for field in model._meta.concrete_fields:
                if isinstance(field, models.TextField):
                    yield model, field


LIMITED = [(model, field) for model, field in _text_fields() if isinstance(field, LimitedTextField)]


def test_every_text_field_people_fill_has_a_limit():
    unlimited = [
        f"{model._meta.label}.{field.name}"
        for model, field in _text_fields()
        if not isinstance(field, LimitedTextField)
        and (model._meta.app_label, model._meta.model_name, field.name) not in MACHINE_WRITTEN
    ]
    assert not unlimited, f"free-text fields without a length limit: {unlimited}"
    assert len(LIMITED) >= 25
    assert {field.max_length for _model, field in LIMITED} == {1_000, 5_000, 20_000, 50_000}


@pytest.mark.parametrize(("model", "field"), LIMITED, ids=[f"{m._meta.label}.{f.name}" for m, f in LIMITED])
def test_model_validation_refuses_a_text_past_the_limit_in_french(model, field):
    instance = model()
    limit = field.max_length
    setattr(instance, field.attname, "é" * limit)  # characters, not bytes: « é » is two bytes in UTF-8
    field.clean(getattr(instance, field.attname), instance)
    setattr(instance, field.attname, "é" * (limit + 1))
    with pytest.raises(ValidationError) as error:
        field.clean(getattr(instance, field.attname), instance)
    assert error.value.messages == [
        f"Assurez-vous que cette valeur comporte au plus {limit} caractères (actuellement {limit + 1})."
    ]
    assert field.formfield().max_length == limit  # forms (admin, portal) get it too


def test_full_clean_refuses_a_300000_character_note(programme):
    partnership = factories.PartnershipFactory.build(enrolment=factories.EnrolmentFactory(programme=programme))
    partnership.notes = "x" * 300_000
    with pytest.raises(ValidationError) as error:
        partnership.full_clean()
    assert error.value.message_dict["notes"] == [
        "Assurez-vous que cette valeur comporte au plus 5000 caractères (actuellement 300000)."
    ]


def test_every_limited_column_has_its_check_constraint_in_the_database():
    """Read back from the database (SQLite or PostgreSQL), not from the models."""
    missing = []
    with connection.cursor() as cursor:
        for model, field in LIMITED:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
            name = f"{model._meta.app_label}_{model._meta.model_name}_{field.name}_len"
            if not constraints.get(name, {}).get("check"):
                missing.append(name)
    assert not missing, missing


def test_the_database_refuses_a_text_past_the_limit_from_any_writer(programme):
    partnership = factories.PartnershipFactory(enrolment=factories.EnrolmentFactory(programme=programme))
    Partnership.objects.filter(pk=partnership.pk).update(notes="é" * 5_000)  # at the limit: accepted
    with pytest.raises(IntegrityError), transaction.atomic():
        Partnership.objects.filter(pk=partnership.pk).update(notes="x" * 5_001)
    with pytest.raises(IntegrityError), transaction.atomic():
        meeting = factories.MeetingFactory.build(committee=factories.CommitteeFactory(programme=programme))
        meeting.minutes = "x" * 50_001
        meeting.save()
    partnership.refresh_from_db()
    assert len(partnership.notes) == 5_000


@pytest.fixture
def network(programme):
    enrolment, people = network_with_work(programme)
    return enrolment, people


@pytest.fixture
def client_member(client, network):
    client.force_login(network[1][0].user)
    return client


def test_the_portal_form_refuses_a_300000_character_note(client_member, network):
    from tests.networks.test_network_space import partnership_payload

    before = Partnership.objects.count()
    response = client_member.post(reverse("networks:partnership_add"), partnership_payload(notes="x" * 300_000))
    assert response.status_code == 200
    assert "Assurez-vous que cette valeur comporte au plus 5000 caractères (actuellement 300000)." in unescape(
        response.content.decode()
    )
    assert Partnership.objects.count() == before


def test_the_admin_refuses_minutes_past_the_limit(client, coordinator, programme):
    meeting = factories.MeetingFactory(committee=factories.CommitteeFactory(programme=programme))
    client.force_login(coordinator)
    url = reverse("admin:governance_meeting_change", args=[meeting.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and not isinstance(value, list)}
    data.update(_inline_management(page))
    data.update(minutes="x" * 50_001, held_on=meeting.held_on.isoformat(), committee=meeting.committee_id)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "au plus 50000 caractères (actuellement 50001)" in unescape(response.content.decode())
    meeting.refresh_from_db()
    assert meeting.minutes != "x" * 50_001


def _inline_management(page):
    """The management forms of the change page's inlines, with no row changed."""
    data = {}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name, value in management.initial.items():
            data[management.add_prefix(name)] = value
        for index, inline_form in enumerate(formset.formset.forms):
            for name in inline_form.fields:
                value = inline_form.initial.get(name)
                if value is not None:
                    data[inline_form.add_prefix(name)] = getattr(value, "pk", value)
            data[f"{formset.formset.prefix}-{index}-id"] = inline_form.instance.pk
    return data


# --- Dates within the edition -----------------------------------------------------------------------


def _aware(*args):
    return timezone.make_aware(dt.datetime(*args))


def test_a_session_outside_its_edition_is_refused_naming_the_dates(programme):
    # The factory's edition runs from 1 July 2017 to 31 December 2018.
    session = factories.SessionFactory.build(
        programme=programme, starts_at=_aware(2019, 1, 10, 9), ends_at=_aware(2019, 1, 10, 17)
    )
    with pytest.raises(ValidationError) as error:
        session.full_clean()
    message = error.value.message_dict["starts_at"][0]
    assert message == (
        f"Une session se tient pendant son édition : « {programme.name} » va du 1 juillet 2017 au "
        "31 décembre 2018, et cette date (10 janvier 2019) en sort."
    )
    assert "ends_at" in error.value.message_dict

    session.starts_at, session.ends_at = _aware(2018, 12, 31, 9), _aware(2018, 12, 31, 17)
    session.full_clean()  # the edition's last day is within it
    session.starts_at = _aware(2017, 6, 30, 9)
    with pytest.raises(ValidationError, match="30 juin 2017"):
        session.full_clean()


def test_the_admin_refuses_a_session_outside_its_edition(client, coordinator, programme):
    client.force_login(coordinator)
    response = client.post(
        reverse("admin:programme_sessions_session_add"),
        {
            "programme": programme.pk,
            "number": 5,
            "code": "S5",
            "title": "Webinaire",
            "starts_at_0": "2019-02-01",
            "starts_at_1": "09:00",
            "ends_at_0": "2019-02-01",
            "ends_at_1": "12:00",
            "inspiring_meeting-TOTAL_FORMS": 0,
            "inspiring_meeting-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "va du 1 juillet 2017 au 31 décembre 2018, et cette date (1 février 2019) en sort." in page
    assert not Session.objects.filter(code="S5").exists()


def test_an_action_due_before_the_edition_starts_is_refused(network):
    enrolment, _people = network
    roadmap = services.roadmap_get_or_create(enrolment=enrolment)
    with pytest.raises(ValidationError) as error:
        services.roadmap_action_create(roadmap=roadmap, title="Trop tôt", due_on=dt.date(2017, 6, 30), status="todo")
    assert error.value.message_dict["due_on"] == [
        f"L'échéance (30 juin 2017) précède le début de l'édition « {enrolment.programme.name} », le 1 juillet 2017 : "
        "choisissez une date à partir de ce jour."
    ]
    services.roadmap_action_create(roadmap=roadmap, title="Le premier jour", due_on=dt.date(2017, 7, 1), status="todo")


def test_the_portal_form_refuses_an_action_due_before_the_edition(client_member, network):
    payload = {"title": "Cartographier les mécènes", "due_on": "2016-09-30", "status": "todo"}
    response = client_member.post(reverse("networks:action_add"), payload)
    assert response.status_code == 200
    assert "L'échéance (30 septembre 2016) précède le début de l'édition" in unescape(response.content.decode())
    assert not RoadmapAction.objects.filter(title="Cartographier les mécènes").exists()

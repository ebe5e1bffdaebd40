"""Free text has a length limit, and dates stay within their edition (issue 13, item 17).

Every text field people fill is a ``LimitedTextField``: the portal's forms, the admin and model
validation refuse a longer text with Django's French message, and the database refuses it from
any writer (a CHECK on the column). A session is held within its edition's dates, and a roadmap
action is not due before its edition starts: refused with a message naming the edition's dates.
"""

from html import unescape

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from alliances.fields import LimitedTextField
from networks.models import Partnership
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
    from tests.test_network_space import partnership_payload

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

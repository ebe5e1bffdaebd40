"""Backups (issue 7, item 7): the programme's data round-trips through dumpdata / loaddata.

The pilot and the demo are loaded, the project's apps dumped (natural keys for
content types and users' references), the database emptied with ``flush`` and
the dump loaded back. Every row of every project model (historical records and
many-to-many tables included) must come back with the same values.
"""

import datetime as dt
import decimal
import importlib

import pytest
from django.apps import apps
from django.core.management import call_command

from alliances.models import Programme, User
from networks.models import Enrolment, Partnership

PROJECT_APPS = ["alliances", "networks", "programme_sessions", "governance", "evaluation"]
# Groups (« Responsables de programme ») are Django's, but accounts belong to them: they go with the export.
EXPORTED = ["auth.group", *PROJECT_APPS]

pytestmark = pytest.mark.django_db(transaction=True)


def _project_models():
    models = []
    for label in PROJECT_APPS:
        for model in apps.get_app_config(label).get_models():
            models.append(model)
            for field in model._meta.local_many_to_many:
                through = field.remote_field.through
                if through._meta.auto_created:
                    models.append(through)
    return models


def _normalise(value):
    # JSON keeps datetimes to the millisecond (DjangoJSONEncoder).
    if isinstance(value, dt.datetime | dt.time):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if isinstance(value, decimal.Decimal):
        return value.normalize()
    return value


def _rows(model):
    if model._meta.auto_created:
        # A many-to-many table: dumped inside its owner, its own ids are not kept.
        columns = [f.attname for f in model._meta.concrete_fields if not f.primary_key]
        return sorted(model.objects.values_list(*columns))
    return [{key: _normalise(value) for key, value in row.items()} for row in model.objects.order_by("pk").values()]


def _snapshot():
    """Every row of every project model, by primary key, values normalised."""
    return {model._meta.label: _rows(model) for model in _project_models()}


def test_programme_data_round_trips_through_dumpdata_and_loaddata(tmp_path):
    # A transactional test that ran before this one flushed the reference data of the data migrations.
    importlib.import_module("networks.migrations.0002_regions").load_regions(apps, None)
    call_command("load_pilot_programme", verbosity=0)
    call_command("load_demo", verbosity=0)
    before = _snapshot()
    assert Enrolment.objects.exists() and Partnership.objects.exists()
    assert sum(len(rows) for rows in before.values()) > 200
    key_values = {
        "programmes": sorted(Programme.objects.values_list("slug", "name", "target_networks")),
        "accounts": sorted(User.objects.values_list("email", "password", "is_active", "is_staff")),
        "pilots": sorted(Enrolment.objects.values_list("programme__slug", "network__acronym", "status")),
        "coordinators": sorted(Programme.coordinators.through.objects.values_list("programme_id", "user_id")),
    }

    dump = tmp_path / "alliances.json"
    call_command(
        "dumpdata",
        *EXPORTED,
        natural_foreign=True,
        indent=None,
        output=str(dump),
        verbosity=0,
    )
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists() and not Enrolment.objects.exists()

    call_command("loaddata", str(dump), verbosity=0)

    after = _snapshot()
    for label, rows in before.items():
        assert len(after[label]) == len(rows), f"{label}: {len(rows)} rows before, {len(after[label])} after"
        assert after[label] == rows, f"{label}: values differ after the round trip"
    assert sorted(Programme.objects.values_list("slug", "name", "target_networks")) == key_values["programmes"]
    assert sorted(User.objects.values_list("email", "password", "is_active", "is_staff")) == key_values["accounts"]
    assert (
        sorted(Enrolment.objects.values_list("programme__slug", "network__acronym", "status")) == key_values["pilots"]
    )
    assert (
        sorted(Programme.coordinators.through.objects.values_list("programme_id", "user_id"))
        == key_values["coordinators"]
    )
    # The restored accounts log in with their passwords (the hashes came back intact).
    assert User.objects.filter(is_active=True).exclude(password="").exists()

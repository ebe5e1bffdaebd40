"""The loaders of the pilot, demo and scale data: a new app's part is picked up and run in its
declared order, and a loader whose prerequisite is missing, or runs later, is refused before
anything is written."""

import io
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from alliances.loaders import DemoLoader, PilotLoader, ScaleBuilder, demo_loaders, pilot_loaders, scale_builders
from alliances.management.commands.generate_scale_data import generate_scale_data
from alliances.models import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def contribute():
    """Register a fake app's loader in a registry for one test, and take it out again."""
    added = []

    def add(registry, loader):
        registry.register(loader)
        added.append((registry, loader.key))
        return loader

    yield add
    for registry, key in added:
        registry.unregister(key)


class FakePilot(PilotLoader):
    """Between the sessions (order 20) and the committees (order 30): sees the former, not the latter."""

    key = "fake_app"
    order = 25
    after = ("sessions",)

    def __init__(self):
        self.seen = []

    def load(self, run):
        self.seen.append((run.programme.sessions.count(), run.programme.committees.count()))

    def summary(self, programme):
        return ["  Partie de l'application factice."]

    def figures(self, programme):
        return [(15, "7 objets factices")]


def test_a_fake_apps_pilot_loader_runs_in_its_declared_order(contribute):
    fake = contribute(pilot_loaders, FakePilot())
    assert [loader.key for loader in pilot_loaders.ordered()] == [
        "alliances",
        "sessions",
        "fake_app",
        "governance",
        "evaluation",
    ]
    out = io.StringIO()
    call_command("load_pilot_programme", stdout=out)
    assert fake.seen == [(4, 0)]  # after the 4 sessions, before the 3 committees
    assert "  Partie de l'application factice.\n" in out.getvalue()
    assert "3 réunions de comité, 7 objets factices, 6 compétences, 1 ressource(s)." in out.getvalue()


class FakeDemo(DemoLoader):
    key = "fake_app"
    order = 50
    after = ("governance",)

    def load(self, run):
        self.committee_member = run.shared["committee_member"]

    def load_current(self, run):
        self.current = run.current

    def accounts(self, run):
        return [("Compte factice", "factice@alliances.localhost")]

    def viewers(self, current):
        return ["factice@alliances.localhost (application factice)"]


def test_a_fake_apps_demo_loader_runs_after_its_prerequisites(contribute):
    fake = contribute(demo_loaders, FakeDemo())
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert fake.committee_member.email == "comite@alliances.localhost"
    assert fake.current.slug == "alliances-innovantes-edition-en-cours"
    assert re.search(r"\n  factice@alliances\.localhost +Compte factice\n", out.getvalue())
    assert "(comité de pilotage), factice@alliances.localhost (application factice)." in out.getvalue()


class FakeBuilder(ScaleBuilder):
    key = "fake_app"
    order = 50
    after = ("evaluation",)

    def __init__(self):
        self.prepared, self.built = 0, []

    def prepare(self, run):
        self.prepared += 1

    def build(self, edition):
        self.built.append((edition.slug, edition.programme.slug, edition.counts["evaluation.Finding"]))


def test_a_fake_apps_scale_builder_builds_its_part_of_every_edition(contribute):
    fake = contribute(scale_builders, FakeBuilder())
    generate_scale_data(2, seed=11)
    assert fake.prepared == 1
    assert fake.built == [("scale-11-1", "scale-11-1", 4), ("scale-11-2", "scale-11-2", 4)]


class Orphan(PilotLoader):
    key = "fake_app"
    after = ("nowhere",)

    def load(self, run):
        raise AssertionError("never run")


class TooEarly(PilotLoader):
    key = "fake_app"
    order = 5  # before the sessions it reads
    after = ("sessions",)


@pytest.mark.parametrize(
    ("loader", "message"),
    [(Orphan(), "'nowhere', which no installed app registers"), (TooEarly(), "give it a higher order")],
)
def test_a_loader_whose_prerequisite_is_missing_or_later_is_refused(contribute, loader, message):
    contribute(pilot_loaders, loader)
    with pytest.raises(ImproperlyConfigured, match=message):
        call_command("load_pilot_programme", stdout=io.StringIO())
    assert not Programme.objects.exists()  # refused before anything was written
    with pytest.raises(ImproperlyConfigured, match=message):
        call_command("load_demo", stdout=io.StringIO())
    assert not Programme.objects.exists()

"""The core's extension points take each app's part through its module, never by import."""

import pytest

from alliances.registry import Registry


class Part:
    def __init__(self, key, order=0):
        self.key = key
        self.order = order


def test_contributions_come_back_by_order_then_key():
    registry = Registry("no_such_module_anywhere")
    registry.register(Part("b", order=2))
    registry.register(Part("a", order=2))
    registry.register(Part("z", order=1))
    assert [part.key for part in registry.all()] == ["z", "a", "b"]
    assert registry.get("a").order == 2
    assert len(registry) == 3


def test_a_class_is_registered_as_one_instance_and_returned_unchanged():
    registry = Registry("no_such_module_anywhere")

    @registry.register
    class Card:
        key = "card"

    assert isinstance(registry.get("card"), Card)
    assert Card.__name__ == "Card"


def test_a_contribution_without_a_key_is_refused():
    registry = Registry("no_such_module_anywhere")
    with pytest.raises(ValueError, match="key"):
        registry.register(Part(""))


def test_an_installed_apps_module_is_discovered_once(monkeypatch):
    """The module named after the point is imported from each installed app, the first time it is read."""
    calls = []
    monkeypatch.setattr("alliances.registry.autodiscover_modules", lambda name: calls.append(name))
    registry = Registry("cockpit")
    registry.all()
    registry.get("anything")
    assert calls == ["cockpit"]


def test_unregister_takes_a_part_out():
    registry = Registry("no_such_module_anywhere")
    registry.register(Part("gone"))
    registry.unregister("gone")
    assert registry.get("gone") is None

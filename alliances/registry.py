"""Extension points: how the core takes each app's part without importing any app.

The core defines a :class:`Registry` per extension point (the cockpit's panels, the portal's
cards, privacy, edition duplication, the loaders…). Each installed app contributes to it in a
module named after the point (``<app>/cockpit.py``, ``<app>/privacy.py``…), found the way the
admin finds ``admin.py``: :func:`django.utils.module_loading.autodiscover_modules` imports that
module of every installed app, once, the first time the registry is read. So a new app's
contribution is picked up by adding the module, and the core never names an app.

A contribution is any object with a unique ``key``; :meth:`Registry.register` works as a class
decorator (the class is instantiated once) or on an instance. Contributions are returned by
``order`` then ``key`` when they have an ``order`` attribute, by key otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar, cast

from django.utils.module_loading import autodiscover_modules

T = TypeVar("T")
C = TypeVar("C")  # what register() is given: a class or an instance, returned unchanged


class Registry(Generic[T]):
    """The contributions to one extension point, discovered in each app's ``module_name`` module."""

    def __init__(self, module_name: str) -> None:
        self.module_name = module_name
        self._items: dict[str, T] = {}
        self._discovered = False

    def register(self, contribution: C) -> C:
        """Add a contribution (a class, instantiated once, or an instance); returns what it was given."""
        item = cast(T, contribution() if isinstance(contribution, type) else contribution)
        key = getattr(item, "key", "")
        if not key:
            raise ValueError(f"{type(item).__name__} needs a non-empty key to join {self.module_name!r}.")
        self._items[key] = item
        return contribution

    def unregister(self, key: str) -> None:
        """Remove a contribution (tests that add a fake app's part take it out again)."""
        self._items.pop(key, None)

    def discover(self) -> None:
        """Import each installed app's ``module_name`` module, once."""
        if not self._discovered:
            self._discovered = True
            autodiscover_modules(self.module_name)

    def all(self) -> list[T]:
        """Every contribution, by ``order`` (when it has one) then ``key``."""
        self.discover()
        return sorted(self._items.values(), key=lambda item: (getattr(item, "order", 0), getattr(item, "key", "")))

    def get(self, key: str) -> T | None:
        self.discover()
        return self._items.get(key)

    def __iter__(self) -> Iterator[T]:
        return iter(self.all())

    def __len__(self) -> int:
        return len(self.all())

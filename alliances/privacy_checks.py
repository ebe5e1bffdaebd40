"""System checks of the privacy extension point: no model with personal data is left out of RGPD.

A model of a *project app* holds personal data when one of its own fields (inherited ones
included, reverse relations not) is:

* a relation (ForeignKey, OneToOneField, ManyToManyField) to the user model or to a *person
  model*, one that a contributor declares in ``person_models`` (``networks.Participant``…);
* an ``EmailField``, whatever its name;
* a field named like a person's detail: one of :data:`PERSONAL_FIELD_NAMES` (``email``,
  ``phone``…) or ending with ``_`` and one of them (``contact_email``, ``postal_address``).

Such a model must be covered by a contributor (its ``models``, or its ``covers()``: the core
covers every change-history model) or declared ``exempt`` by one, with a reason (``alliances.E040``
otherwise). A project app is an installed app whose module lives under ``settings.BASE_DIR`` and
not in an installed distribution (``site-packages``): django.contrib and the libraries are out
(their tables are reached by the generic scrub). Auto-created tables (many-to-many links) and
proxies are skipped: the model declaring the link, or the concrete model, is checked.
``alliances.E041`` refuses a declaration naming no installed model, ``alliances.E042`` an
exemption without a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.apps.registry import Apps
from django.conf import settings
from django.core import checks
from django.db import models

if TYPE_CHECKING:
    from alliances.privacy import PrivacyContributor

PERSONAL_FIELD_NAMES = (
    "email",
    "phone",
    "mobile",
    "first_name",
    "last_name",
    "full_name",
    "person_name",
    "address",
    "birth_date",
)
_DISTRIBUTION_FOLDERS = {"site-packages", "dist-packages"}


def _contributors() -> list[PrivacyContributor]:
    from alliances.privacy import privacy_registry

    return privacy_registry.all()


def is_project_app(app_config: AppConfig) -> bool:
    """Whether the app's module lives in the project (under BASE_DIR), not in an installed library."""
    path = Path(app_config.path).resolve()
    base = Path(settings.BASE_DIR).resolve()
    return path.is_relative_to(base) and not _DISTRIBUTION_FOLDERS & set(path.relative_to(base).parts)


def _label(model: Any) -> str:
    """``app_label.modelname`` of a model or of a lazy reference to one (``"alliances.User"``)."""
    return model._meta.label_lower if not isinstance(model, str) else model.lower()


def _personal_name(name: str) -> bool:
    return any(name == word or name.endswith(f"_{word}") for word in PERSONAL_FIELD_NAMES)


def personal_fields(model: type[models.Model], person_labels: set[str]) -> list[str]:
    """The fields that make ``model`` hold personal data (``"user → alliances.user"``, ``"email"``)."""
    found: list[str] = []
    for field in [*model._meta.fields, *model._meta.many_to_many]:
        if field.is_relation and field.remote_field is not None:
            target = _label(field.remote_field.model)
            if target in person_labels:
                found.append(f"{field.name} → {target}")
        elif isinstance(field, models.EmailField) or _personal_name(field.name):
            found.append(field.name)
    return found


def _person_labels(contributors: Sequence[PrivacyContributor]) -> set[str]:
    return {settings.AUTH_USER_MODEL.lower()} | {
        label.lower() for contributor in contributors for label in contributor.person_models
    }


def check_privacy_coverage(
    app_configs: Sequence[AppConfig] | None = None, *, apps: Apps | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``alliances.E040``: a project model with personal data that no privacy contributor covers."""
    apps = apps or global_apps
    contributors = _contributors()
    person_labels = _person_labels(contributors)
    exempt = {label.lower() for contributor in contributors for label in contributor.exempt}
    errors: list[checks.CheckMessage] = []
    for app_config in app_configs or apps.get_app_configs():
        if not is_project_app(app_config):
            continue
        for model in app_config.get_models():
            if model._meta.auto_created or model._meta.proxy or model._meta.label_lower in exempt:
                continue
            fields = personal_fields(model, person_labels)
            if fields and not any(contributor.covers(model) for contributor in contributors):
                errors.append(
                    checks.Error(
                        f"{model._meta.label} holds personal data ({', '.join(fields)}) and no privacy "
                        "contributor covers it: the RGPD export and anonymisation would leave it out.",
                        hint=f"List {model._meta.label!r} in the models of its app's privacy contributor "
                        f"({app_config.name}/privacy.py, see alliances/privacy.py), or in its exempt "
                        "models with the reason.",
                        obj=model,
                        id="alliances.E040",
                    )
                )
    return errors


def check_privacy_declarations(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``alliances.E041``: a contributor names no installed model; ``alliances.E042``: an exemption has no reason."""
    errors: list[checks.CheckMessage] = []
    known = {model._meta.label_lower for model in global_apps.get_models(include_auto_created=True)}
    for contributor in _contributors():
        declared = [*contributor.models, *contributor.person_models, *contributor.exempt]
        for label in declared:
            if label.lower() not in known:
                errors.append(
                    checks.Error(
                        f"The privacy contributor {contributor.key!r} names {label!r}, which is no installed model.",
                        obj=type(contributor),
                        id="alliances.E041",
                    )
                )
        for label, reason in contributor.exempt.items():
            if not str(reason).strip():
                errors.append(
                    checks.Error(
                        f"The privacy contributor {contributor.key!r} exempts {label!r} without a reason.",
                        obj=type(contributor),
                        id="alliances.E042",
                    )
                )
    return errors

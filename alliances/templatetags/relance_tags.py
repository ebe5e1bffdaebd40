"""The cockpit's « Relancer » include (``cockpit/_relance.html``): where its button goes."""

from django import template
from django.urls import reverse

from alliances import relances

register = template.Library()


@register.simple_tag
def relance_url(obj, target=""):
    """The preview page of a relance of ``obj`` (a session, a questionnaire…): its target found by its model.

    ``target`` names the target's key instead (see :mod:`alliances.relances`). No query:
    the edition's slug is read from ``obj.programme``, which the panels load with their objects.
    """
    kind = relances.target_for(target) if target else relances.target_of(obj)
    if kind is None:
        return ""
    return reverse("cockpit:relance", args=[obj.programme.slug, kind.key, obj.pk])

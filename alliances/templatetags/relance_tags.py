"""The cockpit's « Relancer » include (``cockpit/_relance.html``): where its button goes."""

from django import template
from django.urls import reverse

from alliances import relances

register = template.Library()


@register.simple_tag(takes_context=True)
def relance_url(context, obj, target=""):
    """The preview page of a relance of ``obj`` (a session, a questionnaire…), its target found by its model.

    ``target`` names the target's key instead (see :mod:`alliances.relances`). No query: the
    edition's slug is the page's ``programme`` (the cockpit's), else ``obj.programme``.
    """
    kind = relances.target_for(target) if target else relances.target_of(obj)
    if kind is None:
        return ""
    programme = context.get("programme")
    if programme is None or getattr(programme, "pk", None) != obj.programme_id:
        programme = obj.programme
    return reverse("cockpit:relance", args=[programme.slug, kind.key, obj.pk])

"""The admin index laid out for the work (alliances/admin_index.py): « Mes éditions », then the models by task.

The list of applications and models itself (the index's fallback and the navigation sidebar on every
admin page) is Django's own ``admin/app_list.html``, not overridden.
"""

from django import template
from django.template.defaultfilters import urlencode
from django.utils.safestring import mark_safe

from alliances import admin_index

register = template.Library()

#: Django's own messages, translated by Django's catalogue at render time (``{% translate labels.add %}``);
#: kept out of ``{% translate "…" %}`` literals so that makemessages does not copy them into ours. Safe,
#: as a literal in a template is: like ``{% translate "…" %}``, their translations are not escaped.
DJANGO_LABELS = {
    name: mark_safe(message)
    for name, message in {
        "model_name": "Model name",
        "add_link": "Add link",
        "change_or_view_link": "Change or view list link",
        "add": "Add",
        "view": "View",
        "change": "Change",
        "no_permission": "You don’t have permission to view or edit anything.",
    }.items()
}


@register.inclusion_tag("admin/_task_groups.html", takes_context=True)
def admin_task_groups(context, app_list):
    """The index's models grouped by task, each group a module like one of Django's app list."""
    request = context.get("request")
    groups = [
        {"task": task, "title": title, "models": models, "folded": task == admin_index.OTHER}
        for task, title, models in admin_index.group_by_task(app_list or [])
    ]
    return {
        "groups": groups,
        "labels": DJANGO_LABELS,
        "current_path": urlencode(request.path) if request is not None else "",
    }


@register.inclusion_tag("admin/_my_editions.html", takes_context=True)
def admin_my_editions(context):
    """« Mes éditions »: the editions the user manages, newest first, with the pages to run them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"editions": [], "more": False}
    editions, more = admin_index.my_editions(user)
    return {"editions": editions, "more": more}

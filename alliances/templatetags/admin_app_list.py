"""The admin's list of applications and models, written in Python (templates/admin/app_list.html).

Django's ``admin/app_list.html`` is rendered on every admin page (the navigation sidebar) for
every model the user may reach — about forty here — and its template costs about 5 ms a page
(bench/pages.py). This tag writes the same HTML, with the same classes, links, ARIA attributes
and Django's own translated labels, in a fraction of that.
"""

from django import template
from django.template.defaultfilters import urlencode
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from alliances import admin_index

register = template.Library()

# Django's own messages (its catalogue translates them), kept in variables so that makemessages
# does not copy them into the project's catalogue.
_MODELS_IN_APP = "Models in the %(name)s application"
_MODEL_NAME = "Model name"
_ADD_LINK = "Add link"
_CHANGE_OR_VIEW_LINK = "Change or view list link"
_ADD, _VIEW, _CHANGE = "Add", "View", "Change"
_NO_PERMISSION = "You don’t have permission to view or edit anything."


@register.simple_tag(takes_context=True)
def admin_app_list(context, app_list, show_changelinks=False):
    """The HTML of Django's ``admin/app_list.html`` for ``app_list``.

    Like ``{% translate %}``, the translated labels are not escaped; every value is.
    """
    if not app_list:
        return mark_safe(f"<p>{gettext(_NO_PERMISSION)}</p>")
    request = context.get("request")
    current_path = urlencode(request.path) if request is not None else ""
    head = _head()
    parts = []
    for app in app_list:
        label, app_url = escape(app["app_label"]), escape(app["app_url"])
        title = gettext(_MODELS_IN_APP) % {"name": escape(app["name"])}
        current_app = " current-app" if app["app_url"] in current_path else ""
        caption = f'<a href="{app_url}" class="section" title="{title}">{escape(app["name"])}</a>'
        parts.append(
            _module(
                f"app-{label} module{current_app}", label, caption, head, app["models"], current_path, show_changelinks
            )
        )
    return mark_safe("\n".join(parts))


def _head():
    return (
        f'<thead class="visually-hidden"><tr><th scope="col">{gettext(_MODEL_NAME)}</th>'
        f'<th scope="col">{gettext(_ADD_LINK)}</th><th scope="col">{gettext(_CHANGE_OR_VIEW_LINK)}</th></tr></thead>'
    )


def _module(css_class, label, caption, head, models, current_path, show_changelinks):
    """One module of Django's list: a table of models with their add and change links."""
    add, view, change = gettext(_ADD), gettext(_VIEW), gettext(_CHANGE)
    parts = [f'<div class="{css_class}"><table><caption>{caption}</caption>{head}']
    for model in models:
        model_name = escape(model["object_name"].lower())
        row_id = f"{label}-{model_name}"
        admin_url = model.get("admin_url")
        current = bool(admin_url) and admin_url in current_path
        if admin_url:
            aria_current = ' aria-current="page"' if current else ""
            name = f'<a href="{escape(admin_url)}"{aria_current}>{escape(model["name"])}</a>'
        else:
            name = escape(model["name"])
        parts.append(
            f'<tr class="model-{model_name}{" current-model" if current else ""}">'
            f'<th scope="row" id="{row_id}">{name}</th>'
        )
        if model.get("add_url"):
            parts.append(
                f'<td><a href="{escape(model["add_url"])}" class="addlink" aria-describedby="{row_id}">{add}</a></td>'
            )
        else:
            parts.append("<td></td>")
        if admin_url and show_changelinks:
            css, text = ("viewlink", view) if model.get("view_only") else ("changelink", change)
            parts.append(f'<td><a href="{escape(admin_url)}" class="{css}" aria-describedby="{row_id}">{text}</a></td>')
        elif show_changelinks:
            parts.append("<td></td>")
        parts.append("</tr>")
    parts.append("</table></div>")
    return "\n".join(parts)


@register.simple_tag(takes_context=True)
def admin_task_groups(context, app_list):
    """The index's models grouped by task (alliances/admin_index.py), each group a module of
    Django's list; « Autres » folded in a ``<details>``."""
    if not app_list:
        return mark_safe(f"<p>{gettext(_NO_PERMISSION)}</p>")
    request = context.get("request")
    current_path = urlencode(request.path) if request is not None else ""
    head = _head()
    parts = []
    for task, title, models in admin_index.group_by_task(app_list):
        module = _module(f"task-{task} module", f"task-{task}", escape(title), head, models, current_path, True)
        if task == admin_index.OTHER:
            module = f'<details class="task-others"><summary>{escape(title)}</summary>{module}</details>'
        parts.append(module)
    return mark_safe(f'<div class="task-groups">{"".join(parts)}</div>')


@register.inclusion_tag("admin/_my_editions.html", takes_context=True)
def admin_my_editions(context):
    """« Mes éditions »: the editions the user manages, newest first, with the pages to run them."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"editions": [], "more": False}
    editions, more = admin_index.my_editions(user)
    return {"editions": editions, "more": more}

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
    add, view, change = gettext(_ADD), gettext(_VIEW), gettext(_CHANGE)
    head = (
        f'<thead class="visually-hidden"><tr><th scope="col">{gettext(_MODEL_NAME)}</th>'
        f'<th scope="col">{gettext(_ADD_LINK)}</th><th scope="col">{gettext(_CHANGE_OR_VIEW_LINK)}</th></tr></thead>'
    )
    parts = []
    for app in app_list:
        label, app_url = escape(app["app_label"]), escape(app["app_url"])
        title = gettext(_MODELS_IN_APP) % {"name": escape(app["name"])}
        current_app = " current-app" if app["app_url"] in current_path else ""
        parts.append(
            f'<div class="app-{label} module{current_app}"><table><caption><a href="{app_url}" class="section" '
            f'title="{title}">{escape(app["name"])}</a></caption>{head}'
        )
        for model in app["models"]:
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
                parts.append(
                    f'<td><a href="{escape(admin_url)}" class="{css}" aria-describedby="{row_id}">{text}</a></td>'
                )
            elif show_changelinks:
                parts.append("<td></td>")
            parts.append("</tr>")
        parts.append("</table></div>")
    return mark_safe("\n".join(parts))

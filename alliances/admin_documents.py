"""Documents (reports) in the admin."""

from django.contrib import admin

from alliances.admin_scoping import ProgrammeScopedAdmin
from alliances.models import Report


@admin.register(Report)
class ReportAdmin(ProgrammeScopedAdmin):
    programme_path = "programme"
    list_display = ("kind", "programme", "status", "created_at", "finished_at", "requested_by")
    list_filter = ("status", "kind", "programme")
    list_select_related = ("programme", "requested_by")
    date_hierarchy = "created_at"
    readonly_fields = ("status", "error", "file", "pages", "requested_by", "created_at", "started_at", "finished_at")

"""The email log: notifications in the admin."""

from django.contrib import admin

from alliances.admin_scoping import ProgrammeScopedAdmin
from alliances.models import Notification


@admin.register(Notification)
class NotificationAdmin(ProgrammeScopedAdmin):
    """The email log: every notification, its state and its last error. Written by the jobs, read here."""

    programme_path = "programme"
    list_display = ("kind", "recipient", "programme", "status", "due_at", "sent_at", "attempts")
    list_filter = ("status", "kind", "programme")
    list_select_related = ("recipient", "programme")
    search_fields = ("recipient__email", "recipient__last_name", "kind")
    date_hierarchy = "due_at"
    readonly_fields = (
        "kind",
        "content_type",
        "object_id",
        "recipient",
        "programme",
        "status",
        "due_at",
        "claimed_at",
        "sent_at",
        "attempts",
        "last_error",
        "created_at",
    )

    def has_add_permission(self, request):
        return False

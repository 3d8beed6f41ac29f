from django.contrib import admin

from audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by services, never edited by hand."""

    list_display = [
        "created_at",
        "action",
        "actor",
        "tenant",
        "target_type",
        "target_id",
        "ip_address",
    ]
    list_filter = ["action"]
    search_fields = ["action", "actor__email", "target_id"]
    list_select_related = ["actor", "tenant"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

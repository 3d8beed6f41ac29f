"""Stripe Connect in the Django admin: fee terms are set here (or on the console); payout
accounts and webhook events are read-only, as Stripe is their source of truth."""

from django.contrib import admin

from connect.models import ConnectedAccount, FeeTerms, StripeEvent
from connect.services import fee_terms_set


@admin.register(FeeTerms)
class FeeTermsAdmin(admin.ModelAdmin):
    list_display = ["tenant", "platform_fee_basis_points", "note", "updated_at"]
    search_fields = ["tenant__name", "tenant__slug"]
    autocomplete_fields = ["tenant"]
    readonly_fields = ["updated_at"]

    # Through the service, so every change is audited and only platform staff make one.
    def save_model(self, request, obj, form, change) -> None:
        terms = fee_terms_set(
            actor=request.user,
            tenant=obj.tenant,
            platform_fee_basis_points=obj.platform_fee_basis_points,
            note=obj.note,
            request=request,
        )
        obj.pk = terms.pk

    def delete_model(self, request, obj) -> None:
        fee_terms_set(
            actor=request.user, tenant=obj.tenant, platform_fee_basis_points=None, request=request
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnlyAdmin):
    list_display = ["stripe_id", "tenant", "user", "status", "payouts_enabled", "synced_at"]
    list_filter = ["status", "payouts_enabled"]
    search_fields = ["stripe_id", "tenant__slug", "user__email"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "account", "received_at", "processed_at", "attempts"]
    list_filter = ["type"]
    search_fields = ["event_id", "account"]

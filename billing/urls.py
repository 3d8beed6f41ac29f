"""Billing pages on a tenant's host: paying, payment history, wallet and withdrawals,
invoices, the payout account (Stripe Connect) and the agency's billing settings."""

from billing import (
    views_connect,
    views_history,
    views_invoices,
    views_pay,
    views_settings,
    views_wallet,
)

app_name = "billing"

urlpatterns = [
    *views_pay.urlpatterns,
    *views_history.urlpatterns,
    *views_wallet.urlpatterns,
    *views_invoices.urlpatterns,
    *views_connect.urlpatterns,
    *views_settings.urlpatterns,
]

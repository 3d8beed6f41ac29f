"""Which connected account receives money for whom."""

from __future__ import annotations

from connect.models import ConnectedAccount

__all__ = ["account_of_tenant", "account_of_user"]


def account_of_tenant(tenant_id: int) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(tenant_id=tenant_id).first()


def account_of_user(user_id: int) -> ConnectedAccount | None:
    return ConnectedAccount.objects.filter(user_id=user_id).first()

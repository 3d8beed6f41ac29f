"""Signals other apps listen to, so accounts need not know about them."""

from django.dispatch import Signal

# Sent inside the accepting transaction, in the tenant's schema, with ``invitation`` and
# the new or reactivated ``membership``. The crm links profiles recorded before the
# person had an account.
invitation_accepted = Signal()

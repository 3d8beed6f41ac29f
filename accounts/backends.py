"""Authentication by email address, case-insensitively."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from accounts.models import User, UserManager


class EmailBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = UserManager.normalize_email(email or username)
        if not address or password is None:
            return None
        user = User.objects.filter(email=address).first()
        if user is None:
            # Spend the same time as a real check so timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

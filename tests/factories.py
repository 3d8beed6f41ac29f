"""factory_boy factories for the public schema's records."""

from __future__ import annotations

import factory
from django.utils import timezone

from accounts.models import Membership, User

PASSWORD = "Correct-Horse-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.test")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    time_zone = "Europe/London"
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Membership.Role.STUDENT

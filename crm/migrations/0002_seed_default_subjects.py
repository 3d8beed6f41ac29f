"""Seed the default subjects catalogue.

New agencies are cloned from the migrated template schema with its rows, so this seeds
every tenant made from now on; existing tenants get it when they are migrated.
"""

from django.db import migrations
from django.utils.text import slugify

DEFAULT_SUBJECTS = [
    "Mathematics",
    "English",
    "Physics",
    "Chemistry",
    "Biology",
    "History",
    "Geography",
    "Computer Science",
    "French",
    "Spanish",
    "Music",
    "Economics",
]


def seed(apps, schema_editor):
    Subject = apps.get_model("crm", "Subject")
    for position, name in enumerate(DEFAULT_SUBJECTS, start=1):
        # An agency may already have the subject (by name or slug): leave theirs alone.
        if Subject.objects.filter(name__iexact=name).exists():
            continue
        Subject.objects.get_or_create(
            slug=slugify(name), defaults={"name": name, "ordering": position * 10}
        )


def unseed(apps, schema_editor):
    Subject = apps.get_model("crm", "Subject")
    TutorSubject = apps.get_model("crm", "TutorSubject")
    # Subjects tutors already teach are protected; only unused defaults go.
    Subject.objects.filter(slug__in=[slugify(name) for name in DEFAULT_SUBJECTS]).exclude(
        pk__in=TutorSubject.objects.values("subject_id")
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]

"""Two submissions of the same review at once, each on its own connection, make one
review and one clear refusal; when the checks are passed anyway, the database's one review
per session still refuses the second with a 409, not a server error.

The race commits (each thread's transaction must be visible to the other); the
tenant_factory drops the agency it made.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from marketplace.models import Review
from marketplace.services import reviews
from tests.marketplace.reviews.conftest import REVIEW_TEXT

RACERS = 2


@pytest.fixture
def acme_class(acme, teacher, learner, booked):
    """(student membership, a completed class of theirs) in acme."""
    _, tutor_profile = teacher(acme)
    student, student_profile = learner()
    start = (timezone.now() - dt.timedelta(days=3)).replace(hour=9, minute=0, second=0)
    return student, booked(tutor_profile, student_profile, start, status="completed")


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_makes_one_review_and_one_refusal(acme, acme_class):
    student, session = acme_class
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(rating: int) -> None:
        try:
            with tenant_context(acme):
                barrier.wait(timeout=30)
                reviews.review_create(
                    actor=student, session=session, rating=rating, text=REVIEW_TEXT
                )
                outcome = "done"
        except ApplicationError as error:
            outcome = f"{error.status} {error.code}"
        except Exception as error:  # anything else is what we look for
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=submit, args=(rating,)) for rating in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not any(thread.is_alive() for thread in threads)
    assert sorted(outcomes) == ["409 already_reviewed", "done"], outcomes
    with tenant_context(acme):
        assert Review.objects.filter(session_id=session.pk).count() == 1


@pytest.mark.django_db
def test_the_one_review_per_session_key_is_the_last_word(acme, acme_class, monkeypatch):
    student, session = acme_class
    with tenant_context(acme):
        Review.objects.create(
            session=session,
            tutor_id=session.tutor_id,
            author=student.user,
            rating=3,
            text=REVIEW_TEXT,
        )
        # As if another submission committed between the check and the insert.
        monkeypatch.setattr(reviews, "_reviewed", lambda session: False)
        with pytest.raises(ApplicationError) as refused:
            reviews.review_create(actor=student, session=session, rating=5, text=REVIEW_TEXT)
        assert (refused.value.status, refused.value.code) == (409, "already_reviewed")
        # The surrounding transaction is still usable.
        assert list(Review.objects.values_list("rating", flat=True)) == [3]

"""A small marketplace to search: four gigs of three tutors in two listed tenants, and one
gig of an agency that is not on the marketplace.

=================  ========  ================  ==========  ====  ========  ===================
gig                tutor     subject, level    price       lang  rating    free (weekly)
=================  ========  ================  ==========  ====  ========  ===================
maths (GCSE)       Fay       maths, secondary  GBP 30.00   en    4.0 (1)   daily 08-20 London
calculus           Fay       maths, univ.      GBP 55.00   en fr 4.0 (1)   daily 08-20 London
physics            Nina ✔    physics, primary  EUR 25.00   de    none      Mon 09-12 Berlin
chemistry (acme)   Theo      chem., exam prep  GBP 40.00   en    5.0 (2)   Tue 09-10 London
=================  ========  ================  ==========  ====  ========  ===================

Theo's gig lasts 90 minutes, longer than any of his free windows; Nina's lasts 45.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from crm.models import TutorProfile
from listings.indexing import rebuild_all
from tests.scheduling.conftest import in_tenant_of


@pytest.fixture
def catalogue(
    marketplace, acme, globex, freelancer_profile, teacher, weekly, gig_factory, review_factory
) -> SimpleNamespace:
    acme.marketplace_listed = True
    acme.save()
    fay = freelancer_profile
    maths = gig_factory(fay, title="GCSE maths, step by step")
    calculus = gig_factory(
        fay,
        title="Calculus for university",
        level="university",
        languages=["en", "fr"],
        price_minor=5500,
        description="Limits, derivatives and integrals.",
    )
    review_factory(fay, 4, gig=maths)

    _, nina = teacher(
        marketplace,
        first_name="Nina",
        last_name="Novak",
        email="nina@freelance.test",
        time_zone="Europe/Berlin",
    )
    weekly(nina, 0, "09:00", "12:00")
    physics = gig_factory(
        nina,
        title="Physics for beginners",
        subject_slug="physics",
        level="primary",
        languages=["de"],
        price_minor=2500,
        currency="EUR",
        duration_minutes=45,
        description="Forces, light and sound with simple experiments.",
    )
    with in_tenant_of(nina):
        TutorProfile.objects.filter(pk=nina.pk).update(verification_status="verified")

    _, theo = teacher(acme)
    weekly(theo, 1, "09:00", "10:00")
    chemistry = gig_factory(
        theo,
        title="Exam chemistry",
        subject_slug="chemistry",
        level="exam_prep",
        price_minor=4000,
        duration_minutes=90,
        description="Past papers, and the calculus of reaction rates.",
    )
    review_factory(theo, 5, gig=chemistry)
    review_factory(theo, 5, gig=chemistry)

    _, hidden = teacher(globex)
    gig_factory(hidden, title="Globex maths is not listed")

    rebuild_all()
    return SimpleNamespace(
        maths=maths,
        calculus=calculus,
        physics=physics,
        chemistry=chemistry,
        fay=fay,
        nina=nina,
        theo=theo,
    )

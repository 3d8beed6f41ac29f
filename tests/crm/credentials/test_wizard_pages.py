"""The tutor's profile wizard and the tutor profile page, with the agency's review controls."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from crm.models import Credential, Document, TutorProfile, TutorSubject
from notifications.models import Notification
from tests.crm.credentials.conftest import MP4, PDF, upload

pytestmark = pytest.mark.django_db

STEPS = ["basics", "subjects", "rates", "availability", "credentials", "bio"]


def _step(step: str) -> str:
    return reverse("crm:wizard_step", kwargs={"step": step})


def _profile(tutor) -> TutorProfile:
    with tenant_context(tutor.tenant):
        return TutorProfile.objects.get(user=tutor.user)


@pytest.mark.parametrize("step", STEPS)
def test_every_step_shows_the_completion_and_back_next_navigation(web_client, acme, tutor, step):
    response = web_client(acme, tutor.user).get(_step(step))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="completion-percent">0 %' in html
    assert (">Back</a>" in html) == (step != "basics")
    assert (">Next</a>" in html) == (step in {"subjects", "rates", "credentials"})
    assert reverse("crm:wizard_completion") in html


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "student", "parent"])
def test_the_wizard_is_for_tutors_only(web_client, acme, member, owner, role):
    person = owner if role == "owner" else member(acme, role)
    client = web_client(acme, person.user)
    assert client.get(reverse("crm:wizard")).status_code == 403
    assert client.get(_step("basics")).status_code == 403
    assert client.post(_step("basics"), {"headline": "x"}).status_code == 403


def test_the_wizard_starts_at_the_first_unfinished_step(web_client, acme, tutor, profile_of):
    client = web_client(acme, tutor.user)
    assert client.get(reverse("crm:wizard"))["Location"] == _step("basics")
    profile_of(tutor, headline="Maths", years_of_experience=3, languages=["en"])
    assert client.get(reverse("crm:wizard"))["Location"] == _step("subjects")


def test_basics_save_and_continue_to_subjects(web_client, acme, tutor):
    response = web_client(acme, tutor.user).post(
        _step("basics"),
        {
            "headline": "Patient maths tutor",
            "years_of_experience": "7",
            "languages": "en, pt-BR",
            "visibility": "public",
            "next": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _step("subjects")
    profile = _profile(tutor)
    assert profile.languages == ["en", "pt-BR"]
    assert profile.basics_visibility == "public"


def test_bad_input_is_shown_next_to_the_fields(web_client, acme, tutor):
    client = web_client(acme, tutor.user)
    response = client.post(
        _step("basics"),
        {"headline": "", "years_of_experience": "-2", "languages": "English!", "visibility": "x"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count('class="field-error"') == 3
    response = client.post(
        _step("basics"),
        {
            "headline": "Hi",
            "years_of_experience": "2",
            "languages": "English!",
            "visibility": "agency",
        },
    )
    assert response.status_code == 400
    assert "is not a language code" in response.content.decode()  # the service's message


def test_subjects_rates_and_their_visibility(web_client, acme, tutor, subject_in):
    client = web_client(acme, tutor.user)
    subject = subject_in(acme)
    response = client.post(
        _step("subjects"),
        {
            "subject_id": subject.pk,
            "level": "secondary",
            "difficulty": "advanced",
            "proficiency": 4,
        },
    )
    assert response.status_code == 302
    duplicate = client.post(
        _step("subjects"),
        {
            "subject_id": subject.pk,
            "level": "secondary",
            "difficulty": "advanced",
            "proficiency": 4,
        },
    )
    assert duplicate.status_code == 400
    assert "already teach" in duplicate.content.decode()
    with tenant_context(acme):
        item = TutorSubject.objects.get()
    bad = client.post(_step("rates"), {f"rate_{item.pk}": "-5"})
    assert bad.status_code == 400
    response = client.post(_step("rates"), {f"rate_{item.pk}": "45.50", "next": ""})
    assert response["Location"] == _step("availability")
    with tenant_context(acme):
        assert TutorSubject.objects.get().hourly_rate_minor == 4550
    response = client.post(
        _step("rates"), {"_action": "visibility", "visibility": "private"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Trigger"] == "profile-saved"
    assert _profile(tutor).rates_visibility == "private"
    removed = client.post(
        reverse("crm:wizard_subject_remove", kwargs={"pk": item.pk}), HTTP_HX_REQUEST="true"
    )
    assert removed.status_code == 200
    assert removed["HX-Trigger"] == "profile-saved"
    assert "No subjects yet" in removed.content.decode()


def test_another_tutors_subject_and_credential_cannot_be_touched(
    web_client, acme, tutor, member, credential_of
):
    credential = credential_of(tutor)
    other = web_client(acme, member(acme, "tutor").user)
    delete = reverse("crm:wizard_credential_delete", kwargs={"pk": credential.pk})
    replace = reverse("crm:wizard_credential_file", kwargs={"pk": credential.pk})
    assert other.post(delete).status_code == 404
    assert other.post(replace, {"file": upload()}).status_code == 404
    with tenant_context(acme):
        assert Credential.objects.filter(pk=credential.pk).exists()


def test_credentials_are_uploaded_replaced_and_deleted_on_the_credentials_step(
    web_client, acme, tutor
):
    client = web_client(acme, tutor.user)
    bad = client.post(
        _step("credentials"),
        {"kind": "degree", "title": "BSc", "file": upload("cv.pdf", b"MZ not a pdf")},
    )
    assert bad.status_code == 400
    assert "content is not one" in bad.content.decode()
    response = client.post(
        _step("credentials"),
        {"kind": "degree", "title": "BSc Mathematics", "file": upload("degree.pdf", PDF)},
    )
    assert response.status_code == 302
    page = client.get(_step("credentials")).content.decode()
    assert "BSc Mathematics" in page
    assert "Pending review" in page
    assert 'data-testid="completion-percent">10 %' in page
    with tenant_context(acme):
        credential = Credential.objects.get()
    client.post(
        reverse("crm:wizard_credential_file", kwargs={"pk": credential.pk}),
        {"file": upload("x.pdf", b"no")},
    )
    with tenant_context(acme):
        assert Credential.objects.get().document_id == credential.document_id  # kept
    client.post(reverse("crm:wizard_credential_delete", kwargs={"pk": credential.pk}))
    with tenant_context(acme):
        assert not Credential.objects.exists()
        assert not Document.objects.exists()


def test_bio_link_and_uploaded_video(web_client, acme, tutor):
    client = web_client(acme, tutor.user)
    bad = client.post(
        _step("bio"),
        {"bio": "Hello", "intro_video_url": "http://x.example", "visibility": "agency"},
    )
    assert bad.status_code == 400
    assert "https://" in bad.content.decode()
    client.post(
        _step("bio"),
        {"bio": "Hello", "intro_video_url": "https://video.example/me", "visibility": "public"},
    )
    assert _profile(tutor).bio_visibility == "public"
    response = client.post(reverse("crm:wizard_video"), {"file": upload("me.mp4", MP4)})
    assert response.status_code == 302
    profile = _profile(tutor)
    assert profile.intro_video_id is not None
    page = client.get(_step("bio")).content.decode()
    assert reverse("crm:document", kwargs={"pk": profile.intro_video_id}) in page
    client.post(reverse("crm:wizard_video_remove"))
    assert _profile(tutor).intro_video_id is None


def test_the_completion_partial_reports_the_current_percentage(web_client, acme, tutor, profile_of):
    profile_of(tutor, bio="Hello", availability_summary="Evenings")
    response = web_client(acme, tutor.user).get(reverse("crm:wizard_completion"))
    assert 'data-testid="completion-percent">25 %' in response.content.decode()


# The tutor profile page ---------------------------------------------------------------


def test_the_profile_page_shows_only_the_sections_the_viewer_may_see(
    web_client, acme, member, tutor, profile_of
):
    profile = profile_of(
        tutor,
        headline="Patient maths tutor",
        bio="Secret bio text",
        visibility={"bio": "private"},
    )
    url = reverse("crm:tutor_detail", kwargs={"pk": profile.pk})
    student_view = web_client(acme, member(acme, "student").user).get(url).content.decode()
    assert "Patient maths tutor" in student_view
    assert "Secret bio text" not in student_view
    assert "Verify this tutor" not in student_view
    own_view = web_client(acme, tutor.user).get(url).content.decode()
    assert "Secret bio text" in own_view
    assert "Verify this tutor" not in own_view


def test_an_owner_reviews_credentials_and_the_tutor_on_the_profile_page(
    web_client, acme, owner, tutor, credential_of
):
    credential = credential_of(tutor)
    client = web_client(acme, owner.user)
    url = reverse("crm:tutor_detail", kwargs={"pk": credential.profile_id})
    assert "Verify this tutor" in client.get(url).content.decode()
    review = reverse("crm:credential_review", kwargs={"pk": credential.pk})
    prefix = f"credential-{credential.pk}"
    missing = client.post(review, {f"{prefix}-status": "rejected", f"{prefix}-reason": ""})
    assert missing.status_code == 400
    assert "Give the reason" in missing.content.decode()
    done = client.post(review, {f"{prefix}-status": "verified"})
    assert done.status_code == 302
    with tenant_context(acme):
        assert Credential.objects.get().status == "verified"
    tutor_review = reverse("crm:tutor_review", kwargs={"pk": credential.profile_id})
    assert client.post(tutor_review, {"tutor-status": "rejected"}).status_code == 400
    client.post(tutor_review, {"tutor-status": "rejected", "tutor-reason": "No references"})
    assert _profile(tutor).verification_status == "rejected"
    assert Notification.objects.filter(user=tutor.user).count() == 2


@pytest.mark.parametrize("role", ["staff", "tutor", "student"])
def test_others_cannot_review_on_the_pages(web_client, member, tutor, credential_of, role):
    acme = tutor.tenant
    credential = credential_of(tutor)
    person = tutor if role == "tutor" else member(acme, role)
    client = web_client(acme, person.user)
    review = reverse("crm:credential_review", kwargs={"pk": credential.pk})
    prefix = f"credential-{credential.pk}"
    assert client.post(review, {f"{prefix}-status": "verified"}).status_code == 403
    tutor_review = reverse("crm:tutor_review", kwargs={"pk": credential.profile_id})
    assert client.post(tutor_review, {"tutor-status": "verified"}).status_code == 403
    with tenant_context(acme):
        assert Credential.objects.get().status == "pending"


def test_another_tenants_owner_sees_no_acme_tutor(web_client, globex, tutor, profile_of):
    from accounts.models import Membership

    profile = profile_of(tutor)
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = web_client(globex, globex_owner.user)
    assert client.get(reverse("crm:tutor_detail", kwargs={"pk": profile.pk})).status_code == 404


def test_the_tutor_dashboard_links_to_the_wizard(web_client, acme, tutor):
    response = web_client(acme, tutor.user).get("/dashboard/")
    assert reverse("crm:wizard") in response.content.decode()

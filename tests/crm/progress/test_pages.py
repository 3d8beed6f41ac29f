"""The progress and documents pages: who opens them, the chart data, htmx forms."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django_tenants.utils import tenant_context

from crm import services
from crm.minors import tenant_today
from crm.models import LearningGoal, ProgressEntry, StudentDocument
from tests.crm.progress.conftest import upload

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_url(profile) -> str:
    return f"/crm/students/{profile.pk}/progress/"


def chart_data(response) -> dict:
    match = re.search(
        r'<script id="progress-chart-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, "the chart's data is embedded"
    return json.loads(match.group(1))


def test_the_chart_library_is_vendored_and_pinned():
    root = Path(settings.BASE_DIR) if hasattr(settings, "BASE_DIR") else Path.cwd()
    vendored = root / "static" / "vendor" / "chartjs"
    pinned = json.loads((root / "package.json").read_text())["dependencies"]["chart.js"]
    assert f"Chart.js v{pinned}" in (vendored / "chart.umd.min.js").read_text()[:200]
    assert (vendored / "LICENSE.md").exists()


@pytest.mark.parametrize("role", ["student", "parent", "tutor", "staff"])
def test_the_family_tutor_and_staff_see_goals_chart_and_table(
    web_client, acme, family, goal_of, role
):
    goal = goal_of(family, target_date=dt.date(2099, 6, 30))
    with tenant_context(acme):
        day = tenant_today()
        services.progress_entry_record(
            actor=family.tutor, goal=goal, progress=35, recorded_on=day, note="Steady"
        )
    response = web_client(acme, getattr(family, role).user).get(page_url(family.profile))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fractions" in html
    assert "In progress" in html
    assert "30 Jun 2099" in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    # Every script is our own static file, never a CDN's (a random token may spell "cdn").
    assert all(
        src.startswith("/static/") for src in re.findall(r'<script[^>]* src="([^"]+)"', html)
    )
    assert chart_data(response) == {
        "labels": [day.isoformat()],
        "datasets": [{"label": "Fractions", "data": [35]}],
    }
    assert "<td>35 %</td>" in html  # the table carries the same numbers
    editing = role in {"tutor", "staff"}
    assert ("Add a goal" in html) is editing
    assert ("Record progress" in html) is editing


@pytest.mark.parametrize("outsider", ["other_tutor", "other_student", "other_parent"])
def test_outsiders_get_not_found(web_client, acme, family, goal_of, outsider):
    goal = goal_of(family)
    browser = web_client(acme, getattr(family, outsider).user)
    assert browser.get(page_url(family.profile)).status_code == 404
    assert browser.post(f"/crm/goals/{goal.pk}/entries/", {}).status_code == 404
    assert browser.post(f"/crm/goals/{goal.pk}/status/", {}).status_code == 404
    assert browser.get(f"/crm/students/{family.profile.pk}/documents/").status_code == 404


def test_a_globex_session_finds_no_acme_student(web_client, acme, globex, family, member):
    browser = web_client(globex, member(globex, "owner").user)
    assert browser.get(page_url(family.profile)).status_code == 404
    add_goal = f"/crm/students/{family.profile.pk}/progress/goals/"
    assert browser.post(add_goal, {"title": "x"}).status_code == 404


def test_a_tutor_adds_a_goal_with_htmx_and_gets_the_section_back(web_client, acme, family):
    browser = web_client(acme, family.tutor.user)
    response = browser.post(
        f"/crm/students/{family.profile.pk}/progress/goals/",
        {"title": "Times tables", "target_date": "2099-01-31"},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert "Times tables" in html
    with tenant_context(acme):
        assert LearningGoal.objects.get().created_by == family.tutor.user


def test_a_goal_with_a_past_target_comes_back_with_the_error(web_client, acme, family):
    response = web_client(acme, family.tutor.user).post(
        f"/crm/students/{family.profile.pk}/progress/goals/",
        {"title": "Late", "target_date": "2001-01-01"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "cannot be in the past" in response.content.decode()
    assert 'value="Late"' in response.content.decode()
    with tenant_context(acme):
        assert not LearningGoal.objects.exists()


def test_without_javascript_a_goal_form_redirects_back(web_client, acme, family):
    response = web_client(acme, family.staff.user).post(
        f"/crm/students/{family.profile.pk}/progress/goals/", {"title": "Spelling"}
    )
    assert response.status_code == 302
    assert response["Location"] == page_url(family.profile)


def test_progress_of_101_is_refused_on_the_page(web_client, acme, family, goal_of):
    goal = goal_of(family)
    prefix = f"goal-{goal.pk}"
    response = web_client(acme, family.tutor.user).post(
        f"/crm/goals/{goal.pk}/entries/",
        {f"{prefix}-progress": "101", f"{prefix}-recorded_on": "2020-01-01"},
        **HTMX,
    )
    assert response.status_code == 400
    assert "from 0 to 100" in response.content.decode()
    with tenant_context(acme):
        assert not ProgressEntry.objects.exists()


def test_a_tutor_records_progress_and_marks_the_goal_achieved_on_the_page(
    web_client, acme, family, goal_of
):
    goal = goal_of(family)
    prefix = f"goal-{goal.pk}"
    browser = web_client(acme, family.tutor.user)
    with tenant_context(acme):
        day = tenant_today().isoformat()
    response = browser.post(
        f"/crm/goals/{goal.pk}/entries/",
        {f"{prefix}-progress": "100", f"{prefix}-recorded_on": day, f"{prefix}-note": "Done"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "reached 100" in response.content.decode()
    response = browser.post(f"/crm/goals/{goal.pk}/status/", {f"{prefix}-status": "achieved"})
    assert response.status_code == 302
    with tenant_context(acme):
        assert LearningGoal.objects.get().status == "achieved"


def test_parents_cannot_change_a_goal_from_the_page(web_client, acme, family, goal_of):
    goal = goal_of(family)
    response = web_client(acme, family.parent.user).post(
        f"/crm/goals/{goal.pk}/status/", {f"goal-{goal.pk}-status": "abandoned"}
    )
    assert response.status_code == 403
    with tenant_context(acme):
        assert LearningGoal.objects.get().status == "not_started"


def test_the_documents_page_uploads_with_a_progress_bar_and_lists(web_client, acme, family):
    browser = web_client(acme, family.parent.user)
    url = f"/crm/students/{family.profile.pk}/documents/"
    page = browser.get(url).content.decode()
    assert "<progress" in page
    assert 'hx-encoding="multipart/form-data"' in page
    assert "/static/crm/progress.js" in page
    response = browser.post(
        url, {"title": "Reading list", "category": "resource", "file": upload()}, **HTMX
    )
    assert response.status_code == 201
    assert "Reading list" in response.content.decode()
    with tenant_context(acme):
        document_id = StudentDocument.objects.get().document_id
    assert f'href="/crm/documents/{document_id}/"' in response.content.decode()
    bad = browser.post(
        url,
        {"title": "Virus", "category": "other", "file": upload("a.pdf", b"MZ\x90\x00")},
        **HTMX,
    )
    assert bad.status_code == 400
    assert "PDF, JPEG or PNG" in bad.content.decode()
    with tenant_context(acme):
        assert list(StudentDocument.objects.values_list("title", flat=True)) == ["Reading list"]


def test_a_young_child_without_consent_sees_why_the_upload_failed(web_client, acme, make_student):
    profile, student, _ = make_student(age=9, first_name="Ada")
    response = web_client(acme, student.user).post(
        f"/crm/students/{profile.pk}/documents/",
        {"title": "Drawing", "category": "other", "file": upload()},
        **HTMX,
    )
    assert response.status_code == 403
    assert "consent" in response.content.decode()


def test_removing_a_document_on_the_page(
    web_client, acme, family, django_capture_on_commit_callbacks
):
    browser = web_client(acme, family.tutor.user)
    url = f"/crm/students/{family.profile.pk}/documents/"
    browser.post(url, {"title": "Quiz", "category": "assignment", "file": upload()})
    with tenant_context(acme):
        shared = StudentDocument.objects.get()
    other = web_client(acme, family.parent.user)
    assert other.post(f"/crm/student-documents/{shared.pk}/delete/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/crm/student-documents/{shared.pk}/delete/")
    assert response.status_code == 302
    with tenant_context(acme):
        assert not StudentDocument.objects.exists()

"""CSV import of students and tutors: every row checked, all or nothing, a per-row report."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Invitation, Membership
from accounts.services.invitations import invitation_issue
from audit.models import AuditEntry
from crm.csv_io import MAX_ROWS
from crm.models import ParentLink, StudentProfile, TutorProfile, TutorSubject
from notifications.models import Notification, OutboxEmail
from tests.access.conftest import error_code, field_errors
from tests.crm.agency.conftest import (
    STUDENT_HEADER,
    TUTOR_HEADER,
    csv_of,
    csv_upload,
    student_row,
    tutor_row,
)

pytestmark = pytest.mark.django_db

STUDENTS = "/api/v1/crm/import/students/"
TUTORS = "/api/v1/crm/import/tutors/"


def upload(client, url: str, text: str | bytes, *, dry_run: bool = False):
    target = f"{url}?dry_run=true" if dry_run else url
    return client.post(target, {"file": csv_upload(text)}, format="multipart")


def problems(response) -> list[dict]:
    return field_errors(response)["rows"]


def counts(tenant) -> dict[str, int]:
    with tenant_context(tenant):
        return {
            "students": StudentProfile.objects.count(),
            "parents": ParentLink.objects.count(),
            "tutors": TutorProfile.objects.count(),
            "tutor_subjects": TutorSubject.objects.count(),
            "notifications": Notification.objects.count(),
            "invitations": Invitation.objects.filter(tenant=tenant).count(),
            "outbox": OutboxEmail.objects.count(),
        }


@pytest.fixture
def manager_api(as_role):
    return as_role("owner")


# Students ----------------------------------------------------------------------------------


def test_a_valid_student_file_imports_every_row_invites_and_audits_once(
    manager_api, acme, django_capture_on_commit_callbacks
):
    text = csv_of(
        STUDENT_HEADER,
        student_row(1),
        student_row(
            2,
            date_of_birth="2012-03-04",
            email="",
            subjects="mathematics;physics",
            parent_email="mum@example.test",
            parent_first_name="Mary",
            parent_last_name="Dent",
            parent_relationship="mother",
        ),
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(manager_api, STUDENTS, text)
    assert response.status_code == 201, response.content
    assert response.json() == {"rows": 2, "imported": 2, "dry_run": False}
    with tenant_context(acme):
        child = StudentProfile.objects.get(first_name="Stu2")
        assert sorted(s.slug for s in child.subjects.all()) == ["mathematics", "physics"]
        assert child.parent_links.get().relationship == "mother"
    invited = set(Invitation.objects.filter(tenant=acme).values_list("email", "role"))
    assert invited == {("student1@example.test", "student"), ("mum@example.test", "parent")}
    assert len(callbacks) >= 2  # the invitation emails leave on commit
    assert AuditEntry.objects.filter(action="crm.students.imported", tenant=acme).count() == 1


def test_one_bad_row_among_many_imports_nothing_and_sends_nothing(
    manager_api, acme, django_capture_on_commit_callbacks
):
    before = counts(acme)
    rows = [student_row(n) for n in range(1, 40)]
    rows[25] = student_row(26, date_of_birth="not a date")
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(manager_api, STUDENTS, csv_of(STUDENT_HEADER, *rows))
    assert problems(response) == [
        {"row": 27, "column": "date_of_birth", "message": "Enter a date as YYYY-MM-DD."}
    ]
    assert counts(acme) == before
    assert callbacks == []  # no invitation email was queued
    assert not AuditEntry.objects.filter(action="crm.students.imported").exists()


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"first_name": ""}, "first_name", "Enter a name"),
        ({"last_name": "x" * 151}, "last_name", "150"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth", "future"),
        ({"date_of_birth": "31/12/2001"}, "date_of_birth", "YYYY-MM-DD"),
        ({"grade_level": "g" * 41}, "grade_level", "40"),
        ({"subjects": "mathematics;underwater-basket"}, "subjects", "underwater-basket"),
        ({"learning_style": "telepathic"}, "learning_style", "Choose one of"),
        ({"date_of_birth": "2012-01-01"}, "parent_email", "under 18"),
        ({"parent_email": "nope"}, "parent_email", "valid email"),
        ({"parent_first_name": "Pat"}, "parent_email", "Enter an email"),
        (
            {"parent_email": "p@example.test", "parent_relationship": "uncle"},
            "parent_relationship",
            "Choose one of",
        ),
        (
            {"parent_email": "p@example.test", "parent_last_name": "y" * 151},
            "parent_last_name",
            "150",
        ),
        ({"parent_email": "student1@example.test"}, "email", "differ"),
    ],
)
def test_each_kind_of_bad_student_row_is_reported_in_its_column(
    manager_api, acme, overrides, column, fragment
):
    text = csv_of(STUDENT_HEADER, student_row(1, **overrides), student_row(2))
    response = upload(manager_api, STUDENTS, text)
    found = problems(response)
    assert {p["row"] for p in found} == {2}, found
    assert any(p["column"] == column and fragment in p["message"] for p in found), found
    assert counts(acme)["students"] == 0


def test_every_bad_row_is_reported_not_only_the_first(manager_api):
    text = csv_of(
        STUDENT_HEADER,
        student_row(1, first_name="", learning_style="odd"),
        student_row(2),
        student_row(3, email="bad"),
    )
    found = problems(upload(manager_api, STUDENTS, text))
    assert [(p["row"], p["column"]) for p in found] == [
        (2, "first_name"),
        (2, "learning_style"),
        (4, "email"),
    ]


def test_a_student_email_twice_in_the_file_is_reported_on_the_later_row(manager_api, acme):
    text = csv_of(
        STUDENT_HEADER,
        student_row(1),
        student_row(2),
        student_row(3, email="STUDENT1@example.test"),
    )
    found = problems(upload(manager_api, STUDENTS, text))
    assert found == [{"row": 4, "column": "email", "message": "The same email is on row 2."}]
    assert counts(acme)["students"] == 0


def test_a_student_already_recorded_is_refused(manager_api, acme):
    assert upload(manager_api, STUDENTS, csv_of(STUDENT_HEADER, student_row(1))).status_code == 201
    found = problems(upload(manager_api, STUDENTS, csv_of(STUDENT_HEADER, student_row(1))))
    assert found[0]["column"] == "email"
    assert "Another student" in found[0]["message"]


def test_siblings_may_share_a_parent(manager_api, acme):
    parent = {"parent_email": "mum@example.test", "date_of_birth": "2011-01-01", "email": ""}
    text = csv_of(STUDENT_HEADER, student_row(1, **parent), student_row(2, **parent))
    assert upload(manager_api, STUDENTS, text).status_code == 201
    assert Invitation.objects.filter(tenant=acme, email="mum@example.test").count() == 1


def test_a_dry_run_checks_every_row_and_writes_nothing(
    manager_api, acme, django_capture_on_commit_callbacks
):
    before = counts(acme)
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(
            manager_api,
            STUDENTS,
            csv_of(STUDENT_HEADER, student_row(1), student_row(2)),
            dry_run=True,
        )
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 2, "imported": 0, "dry_run": True}
    assert counts(acme) == before
    assert callbacks == []
    bad = upload(
        manager_api, STUDENTS, csv_of(STUDENT_HEADER, student_row(1, email="x")), dry_run=True
    )
    assert problems(bad)[0]["column"] == "email"


def test_a_bad_dry_run_flag_is_a_field_error(manager_api):
    response = manager_api.post(
        f"{STUDENTS}?dry_run=maybe",
        {"file": csv_upload(csv_of(STUDENT_HEADER, student_row(1)))},
        format="multipart",
    )
    assert "dry_run" in field_errors(response)


# The file as a whole -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("first_name,last_name,email\nA,B,a@example.test\n", "Missing columns: date_of_birth"),
        (
            "first_name,last_name,email,date_of_birth,nickname\nA,B,,1990-01-01,Al\n",
            "Unknown columns: nickname",
        ),
        (
            "first_name,first_name,last_name,email,date_of_birth\nA,A,B,,1990-01-01\n",
            "more than once: first_name",
        ),
        (STUDENT_HEADER + "\n", "no rows"),
        (STUDENT_HEADER + '\n"unclosed,quote\n', "not valid CSV"),
    ],
)
def test_header_and_file_problems_are_reported_on_the_file(manager_api, acme, text, fragment):
    response = upload(manager_api, STUDENTS, text)
    messages = field_errors(response)["file"]
    assert any(fragment in m for m in messages), messages
    assert counts(acme)["students"] == 0


def test_headers_are_matched_without_case_or_spaces_and_a_bom_is_fine(manager_api, acme):
    header = " First_Name , last_name,EMAIL,date_of_birth"
    text = "\ufeff" + csv_of(header, "Ana,Lima,ana@example.test,1990-01-01")
    assert upload(manager_api, STUDENTS, text).status_code == 201
    with tenant_context(acme):
        assert StudentProfile.objects.get().email == "ana@example.test"


def test_a_file_that_is_not_utf8_is_refused(manager_api, acme):
    text = csv_of(STUDENT_HEADER, student_row(1, first_name="José")).encode("latin-1")
    messages = field_errors(upload(manager_api, STUDENTS, text))["file"]
    assert "UTF-8" in messages[0]


def test_a_file_over_one_megabyte_is_refused(manager_api):
    text = csv_of(STUDENT_HEADER, student_row(1, grade_level="x" * (1024 * 1024)))
    messages = field_errors(upload(manager_api, STUDENTS, text))["file"]
    assert "larger than 1024 KB" in messages[0]


def test_more_than_the_row_limit_is_refused(manager_api):
    rows = [f"S{n},T,,1990-01-01" for n in range(MAX_ROWS + 1)]
    text = csv_of("first_name,last_name,email,date_of_birth", *rows)
    messages = field_errors(upload(manager_api, STUDENTS, text))["file"]
    assert f"more than {MAX_ROWS} rows" in messages[0]


def test_a_row_with_too_many_cells_is_reported(manager_api):
    text = csv_of("first_name,last_name,email,date_of_birth", "A,B,,1990-01-01,extra")
    assert problems(upload(manager_api, STUDENTS, text)) == [
        {"row": 2, "column": "", "message": "This row has 5 cells; the header names 4."}
    ]


def test_blank_lines_are_skipped_but_counted_in_row_numbers(manager_api):
    text = "first_name,last_name,email,date_of_birth\n\nA,B,,1990-01-01\n,,,\nC,D,,bad\n"
    assert [p["row"] for p in problems(upload(manager_api, STUDENTS, text))] == [5]


def test_a_missing_file_is_a_field_error(manager_api):
    assert "file" in field_errors(manager_api.post(STUDENTS, {}, format="multipart"))


# Who may import ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_only_owners_and_admins_import(as_role, acme, role):
    client = as_role(role)
    for url, text in (
        (STUDENTS, csv_of(STUDENT_HEADER, student_row(1))),
        (TUTORS, csv_of(TUTOR_HEADER, tutor_row(1))),
    ):
        response = upload(client, url, text)
        assert response.status_code == 403, response.content
        assert error_code(response) == "permission_denied"
    assert counts(acme)["students"] == counts(acme)["tutors"] == 0


def test_an_admin_imports(as_role, acme):
    response = upload(as_role("admin"), TUTORS, csv_of(TUTOR_HEADER, tutor_row(1)))
    assert response.status_code == 201, response.content


def test_a_globex_token_cannot_import_into_acme(api_client, acme, globex):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = api_client(globex, globex_owner.user)
    client.defaults["HTTP_HOST"] = api_client(acme).defaults["HTTP_HOST"]
    response = upload(client, TUTORS, csv_of(TUTOR_HEADER, tutor_row(1)))
    assert response.status_code == 401
    assert counts(acme)["tutors"] == 0
    with tenant_context(globex):
        assert TutorProfile.objects.count() == 0


# Tutors ------------------------------------------------------------------------------------


def test_a_valid_tutor_file_records_invited_profiles_with_subjects(
    manager_api, acme, owner, django_capture_on_commit_callbacks
):
    acme.default_currency = "GBP"
    acme.save(update_fields=["default_currency"])
    text = csv_of(
        TUTOR_HEADER, tutor_row(1), tutor_row(2, subjects="", languages="", years_of_experience="")
    )
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(manager_api, TUTORS, text)
    assert response.status_code == 201, response.content
    with tenant_context(acme):
        profile = TutorProfile.objects.get(invited_email="tutor1@example.test")
        assert profile.user_id is None
        assert (profile.first_name, profile.last_name) == ("Tia1", "Teacher")
        assert profile.languages == ["en", "pt-BR"]
        assert profile.years_of_experience == 5
        taught = {
            (t.subject.slug, t.level, t.proficiency, t.hourly_rate_minor, t.currency)
            for t in profile.subjects.select_related("subject")
        }
        assert taught == {
            ("mathematics", "secondary", 4, 4500, "GBP"),
            ("physics", "exam_prep", 3, None, "GBP"),
        }
        bare = TutorProfile.objects.get(invited_email="tutor2@example.test")
        assert (bare.years_of_experience, bare.languages) == (None, [])
    invitations = Invitation.objects.filter(tenant=acme, role="tutor")
    assert sorted(invitations.values_list("email", flat=True)) == [
        "tutor1@example.test",
        "tutor2@example.test",
    ]
    assert len(callbacks) >= 2
    entry = AuditEntry.objects.get(action="crm.tutors.imported")
    assert (entry.actor, entry.tenant, entry.data) == (owner.user, acme, {"rows": 2})


@pytest.mark.parametrize(
    ("overrides", "column", "fragment"),
    [
        ({"email": ""}, "email", "Enter the tutor's email"),
        ({"email": "nope"}, "email", "valid email"),
        ({"first_name": ""}, "first_name", "Enter a name"),
        ({"last_name": "z" * 151}, "last_name", "150"),
        ({"headline": "h" * 121}, "headline", "120"),
        ({"years_of_experience": "lots"}, "years_of_experience", "whole number"),
        ({"years_of_experience": "81"}, "years_of_experience", "0 to 80"),
        ({"languages": "English!"}, "languages", "not a language code"),
        ({"subjects": "mathematics:secondary"}, "subjects", "slug:level:proficiency"),
        ({"subjects": "alchemy:secondary:3"}, "subjects", "unknown or inactive subject"),
        ({"subjects": "mathematics:nursery:3"}, "subjects", "choose a level"),
        ({"subjects": "mathematics:secondary:9"}, "subjects", "proficiency from 1 to 5"),
        ({"subjects": "mathematics:secondary:4:-5"}, "subjects", "minor units"),
        ({"subjects": "mathematics:secondary:4:0"}, "subjects", "minor units"),
        ({"subjects": "mathematics:secondary:4:12.50"}, "subjects", "minor units"),
        (
            {"subjects": "mathematics:secondary:4;mathematics:secondary:5"},
            "subjects",
            "listed twice",
        ),
    ],
)
def test_each_kind_of_bad_tutor_row_is_reported_in_its_column(
    manager_api, acme, overrides, column, fragment
):
    text = csv_of(TUTOR_HEADER, tutor_row(1), tutor_row(2, **overrides))
    found = problems(upload(manager_api, TUTORS, text))
    assert {p["row"] for p in found} == {3}, found
    assert any(p["column"] == column and fragment in p["message"] for p in found), found
    assert counts(acme)["tutors"] == 0
    assert not Invitation.objects.filter(tenant=acme).exists()


def test_a_tutor_email_twice_in_the_file_is_reported(manager_api, acme):
    text = csv_of(TUTOR_HEADER, tutor_row(1), tutor_row(2, email="Tutor1@example.test"))
    assert problems(upload(manager_api, TUTORS, text)) == [
        {"row": 3, "column": "email", "message": "The same email is on row 2."}
    ]


def test_an_address_that_is_already_a_member_here_is_refused(manager_api, acme, member):
    member(acme, "student", email="taken@example.test")
    text = csv_of(TUTOR_HEADER, tutor_row(1, email="taken@example.test"))
    assert problems(upload(manager_api, TUTORS, text)) == [
        {"row": 2, "column": "email", "message": "This person is already a member here as student."}
    ]


def test_a_tutor_already_invited_is_refused(manager_api, acme, invited_tutor):
    invited_tutor(acme, email="tutor1@example.test")
    found = problems(upload(manager_api, TUTORS, csv_of(TUTOR_HEADER, tutor_row(1))))
    assert found[0]["column"] == "email"
    assert "already recorded" in found[0]["message"]


def test_a_bad_tutor_row_among_good_ones_imports_nothing(
    manager_api, acme, django_capture_on_commit_callbacks
):
    before = counts(acme)
    rows = [tutor_row(n) for n in range(1, 30)]
    rows[-1] = tutor_row(29, years_of_experience="-1")
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(manager_api, TUTORS, csv_of(TUTOR_HEADER, *rows))
    assert [(p["row"], p["column"]) for p in problems(response)] == [(30, "years_of_experience")]
    assert counts(acme) == before
    assert callbacks == []


def test_an_imported_tutor_who_accepts_is_linked_to_their_profile(manager_api, acme, api_client):
    assert upload(manager_api, TUTORS, csv_of(TUTOR_HEADER, tutor_row(1))).status_code == 201
    owner = Membership.objects.get(tenant=acme, role="owner")
    with tenant_context(acme):
        _, token = invitation_issue(
            tenant=acme, email="tutor1@example.test", role="tutor", actor=owner
        )
    response = api_client(acme).post(
        "/api/v1/team/invitations/accept/",
        {"token": token, "first_name": "Tia", "last_name": "T", "password": "Str0ngPassw0rd!"},
        format="json",
    )
    assert response.status_code in (200, 201), response.content
    with tenant_context(acme):
        profile = TutorProfile.objects.get(invited_email="tutor1@example.test")
        assert profile.user is not None
        assert profile.user.email == "tutor1@example.test"
        assert profile.subjects.count() == 2


def test_the_import_pages_shows_every_problem_and_keeps_nothing(web_client, acme, owner):
    browser = web_client(acme, owner.user)
    text = csv_of(TUTOR_HEADER, tutor_row(1), tutor_row(2, email="bad"))
    response = browser.post(
        "/crm/import/", {"kind": "tutors", "file": csv_upload(text), "dry_run": ""}
    )
    assert response.status_code == 400
    assert b'data-testid="import-problems"' in response.content
    assert b"Enter a valid email address." in response.content
    assert counts(acme)["tutors"] == 0


def test_the_import_page_imports_and_says_how_many(web_client, acme, owner):
    browser = web_client(acme, owner.user)
    text = csv_of(STUDENT_HEADER, student_row(1), student_row(2))
    response = browser.post(
        "/crm/import/", {"kind": "students", "file": csv_upload(text)}, follow=True
    )
    assert response.status_code == 200
    assert b"Imported 2 students" in response.content
    assert counts(acme)["students"] == 2


def test_the_import_page_dry_run_writes_nothing(web_client, acme, owner):
    browser = web_client(acme, owner.user)
    text = csv_of(STUDENT_HEADER, student_row(1))
    response = browser.post(
        "/crm/import/", {"kind": "students", "file": csv_upload(text), "dry_run": "on"}, follow=True
    )
    assert b"All 1 rows are valid; nothing was imported." in response.content
    assert counts(acme)["students"] == 0


def test_the_import_page_shows_file_problems_on_the_file_field(web_client, acme, owner):
    browser = web_client(acme, owner.user)
    response = browser.post(
        "/crm/import/", {"kind": "students", "file": csv_upload(b"\xff\xfe\x00bad")}
    )
    assert response.status_code == 400
    assert b"not UTF-8" in response.content


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_agency_staff_open_the_import_page(web_client, acme, member, role):
    browser = web_client(acme, member(acme, role).user)
    assert browser.get("/crm/import/").status_code == 403


def test_staff_see_exports_but_cannot_upload(web_client, acme, member):
    browser = web_client(acme, member(acme, "staff").user)
    page = browser.get("/crm/import/")
    assert page.status_code == 200
    assert b"Export students" in page.content
    assert b'enctype="multipart/form-data"' not in page.content
    text = csv_of(STUDENT_HEADER, student_row(1))
    assert (
        browser.post("/crm/import/", {"kind": "students", "file": csv_upload(text)}).status_code
        == 403
    )
    assert counts(acme)["students"] == 0

"""CRM API: students, their parents, parental consent and tutor assignments.

Everyone reads the students they may see (``crm.selectors.student_list``): agency staff
all, tutors their assigned students, parents their children, a student themself. Agency
staff record and change students; students and parents change learning preferences.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.crm import SubjectBriefOutput
from crm import minors, selectors, services
from crm.models import (
    LearningStyle,
    ParentalConsent,
    ParentLink,
    StudentProfile,
    TutorAssignment,
)
from crm.validation import UNSET

MAX_ID = 2**31 - 1


class IsAgencyStaff(IsTenantMember):
    message = "Only the agency's staff can do this."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request._request, "membership", None)
        return membership is not None and membership.is_agency_staff


class IsAgencyStaffToWrite(IsTenantMember):
    """Any member may read (what they may see); only agency staff may write."""

    message = "Only the agency's staff can do this."

    def has_permission(self, request, view) -> bool:
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return super().has_permission(request, view)
        return IsAgencyStaff().has_permission(request, view)


def _viewer(request) -> Membership:
    return request._request.membership


def _student(request, pk: int) -> StudentProfile:
    student = selectors.student_detail_get(viewer=_viewer(request), pk=pk)
    if student is None:
        raise Http404
    return student


def _fresh(request, student: StudentProfile) -> dict:
    return StudentOutput(_student(request, student.pk)).data


# Output ------------------------------------------------------------------------------------


class PersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()


class ParentLinkOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    relationship = serializers.CharField()
    status = serializers.ChoiceField(
        choices=["linked", "invited"],
        help_text="linked: the parent has an account here; invited: not yet accepted.",
    )
    user_id = serializers.IntegerField(allow_null=True)

    def to_representation(self, link: ParentLink) -> dict:
        parent = link.parent if link.parent_id else None
        return {
            "id": link.pk,
            "email": link.email,
            "first_name": link.first_name or (parent.first_name if parent else ""),
            "last_name": link.last_name or (parent.last_name if parent else ""),
            "relationship": link.relationship,
            "status": "linked" if parent else "invited",
            "user_id": link.parent_id,
        }


class TutorAssignmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tutor = PersonOutput()
    subject = SubjectBriefOutput(allow_null=True)
    created_at = serializers.DateTimeField()


class ConsentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    parent = PersonOutput()
    method = serializers.ChoiceField(choices=ParentalConsent.Method.choices)
    statement = serializers.CharField()
    given_at = serializers.DateTimeField()
    recorded_by = PersonOutput()
    ip_address = serializers.IPAddressField(allow_null=True)
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_by = PersonOutput(allow_null=True)


class ConsentSummaryOutput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["not_required", "needed", "given"],
        help_text="not_required from 13; needed under 13 until a parent consents.",
    )
    given_at = serializers.DateTimeField(allow_null=True)
    given_by = PersonOutput(allow_null=True)
    method = serializers.CharField(allow_null=True)


class RestrictionOutput(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class StudentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    date_of_birth = serializers.DateField()
    age = serializers.IntegerField()
    grade_level = serializers.CharField()
    subjects = SubjectBriefOutput(many=True)
    learning_style = serializers.CharField()
    preferred_session_minutes = serializers.IntegerField(allow_null=True)
    preferences = serializers.CharField()
    is_active = serializers.BooleanField()
    has_account = serializers.BooleanField()
    parents = ParentLinkOutput(many=True)
    tutors = TutorAssignmentOutput(many=True)
    consent = ConsentSummaryOutput()
    restrictions = RestrictionOutput(
        many=True, help_text="What stops the student from booking, messaging and uploading."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, student: StudentProfile) -> dict:
        today = minors.tenant_today()
        consent = minors.consent_in_force(student)
        return {
            "id": student.pk,
            "first_name": student.first_name,
            "last_name": student.last_name,
            "email": student.email,
            "date_of_birth": student.date_of_birth.isoformat(),
            "age": minors.student_age(student, today=today),
            "grade_level": student.grade_level,
            "subjects": SubjectBriefOutput(student.subjects.all(), many=True).data,
            "learning_style": student.learning_style,
            "preferred_session_minutes": student.preferred_session_minutes,
            "preferences": student.preferences,
            "is_active": student.is_active,
            "has_account": student.user_id is not None,
            "parents": ParentLinkOutput(student.parent_links.all(), many=True).data,
            "tutors": TutorAssignmentOutput(student.assignments.all(), many=True).data,
            "consent": {
                "status": minors.consent_status(student, today=today),
                "given_at": serializers.DateTimeField().to_representation(consent.given_at)
                if consent
                else None,
                "given_by": PersonOutput(consent.parent).data if consent else None,
                "method": consent.method if consent else None,
            },
            "restrictions": [
                {"code": r.code, "message": r.message}
                for r in minors.student_restrictions(student, today=today)
            ],
            "created_at": serializers.DateTimeField().to_representation(student.created_at),
            "updated_at": serializers.DateTimeField().to_representation(student.updated_at),
        }


# Input -------------------------------------------------------------------------------------


class ParentInput(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    relationship = serializers.ChoiceField(
        choices=ParentLink.Relationship.choices, required=False, allow_blank=True
    )


class StudentFilterInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    subject = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    grade_level = serializers.CharField(required=False, allow_blank=True, max_length=40)
    tutor = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(
        choices=["active", "archived"], required=False, allow_blank=True
    )
    consent = serializers.ChoiceField(choices=["needed", "given"], required=False, allow_blank=True)
    age = serializers.ChoiceField(choices=["minor", "adult"], required=False, allow_blank=True)
    sort = serializers.ChoiceField(
        choices=list(selectors.STUDENT_SORTS), required=False, default="name"
    )


STUDENT_FILTER_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Words in first/last name or email."),
    OpenApiParameter("subject", OpenApiTypes.INT, description="Subject id."),
    OpenApiParameter("grade_level", OpenApiTypes.STR),
    OpenApiParameter("tutor", OpenApiTypes.INT, description="User id of an assigned tutor."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["active", "archived"]),
    OpenApiParameter("consent", OpenApiTypes.STR, enum=["needed", "given"]),
    OpenApiParameter("age", OpenApiTypes.STR, enum=["minor", "adult"]),
    OpenApiParameter("sort", OpenApiTypes.STR, enum=list(selectors.STUDENT_SORTS)),
]


# Students ----------------------------------------------------------------------------------


class StudentListView(APIView):
    permission_classes = [IsAgencyStaffToWrite]

    class InputSerializer(serializers.Serializer):
        first_name = serializers.CharField(max_length=150)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        email = serializers.CharField(max_length=254, required=False, allow_blank=True)
        date_of_birth = serializers.DateField()
        grade_level = serializers.CharField(max_length=40, required=False, allow_blank=True)
        subject_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
            required=False,
            max_length=50,
        )
        learning_style = serializers.ChoiceField(
            choices=LearningStyle.choices, required=False, allow_blank=True
        )
        preferred_session_minutes = serializers.IntegerField(required=False, allow_null=True)
        preferences = serializers.CharField(max_length=2000, required=False, allow_blank=True)
        parents = ParentInput(
            many=True,
            required=False,
            max_length=4,
            help_text="Required (at least one) for a student under 18.",
        )

    @extend_schema(
        operation_id="crm_students_list",
        parameters=[*STUDENT_FILTER_PARAMETERS, *PAGE_PARAMETERS],
        responses={200: paginated(StudentOutput)},
    )
    def get(self, request):
        filters = StudentFilterInput(data=request.query_params)
        filters.is_valid(raise_exception=True)
        criteria = filters.validated_data
        students = selectors.student_search(
            viewer=_viewer(request),
            q=criteria.get("q", ""),
            subject_id=criteria.get("subject"),
            grade_level=criteria.get("grade_level", ""),
            tutor_id=criteria.get("tutor"),
            status=criteria.get("status", ""),
            consent=criteria.get("consent", ""),
            age=criteria.get("age", ""),
            sort=criteria["sort"],
        )
        return paginated_response(
            request=request, view=self, queryset=students, output=StudentOutput
        )

    @extend_schema(request=InputSerializer, responses={201: StudentOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        student = services.student_create(
            actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(_fresh(request, student), status=status.HTTP_201_CREATED)


class StudentDetailView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        """Staff may send any field; a student or their parent only the preferences."""

        first_name = serializers.CharField(max_length=150, required=False)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        email = serializers.CharField(max_length=254, required=False, allow_blank=True)
        date_of_birth = serializers.DateField(required=False)
        grade_level = serializers.CharField(max_length=40, required=False, allow_blank=True)
        subject_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
            required=False,
            max_length=50,
        )
        learning_style = serializers.ChoiceField(
            choices=LearningStyle.choices, required=False, allow_blank=True
        )
        preferred_session_minutes = serializers.IntegerField(required=False, allow_null=True)
        preferences = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(responses={200: StudentOutput})
    def get(self, request, pk: int):
        return Response(StudentOutput(_student(request, pk)).data)

    @extend_schema(request=InputSerializer, responses={200: StudentOutput})
    def patch(self, request, pk: int):
        student = _student(request, pk)
        if not services.student_editable_fields(student=student, actor=_viewer(request)):
            raise PermissionDenied("You cannot change this student's profile.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = {name: data.validated_data.get(name, UNSET) for name in data.fields}
        student = services.student_update(
            student=student, actor=_viewer(request), request=request, **changes
        )
        return Response(_fresh(request, student))


class StudentArchiveView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(request=None, responses={200: StudentOutput})
    def post(self, request, pk: int):
        student = services.student_archive(
            student=_student(request, pk), actor=_viewer(request), request=request
        )
        return Response(_fresh(request, student))


class StudentUnarchiveView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(request=None, responses={200: StudentOutput})
    def post(self, request, pk: int):
        student = services.student_unarchive(
            student=_student(request, pk), actor=_viewer(request), request=request
        )
        return Response(_fresh(request, student))


# Parents -----------------------------------------------------------------------------------


class StudentParentListView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(request=ParentInput, responses={201: ParentLinkOutput})
    def post(self, request, pk: int):
        student = _student(request, pk)
        data = ParentInput(data=request.data)
        data.is_valid(raise_exception=True)
        link = services.parent_link_add(
            student=student, actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(ParentLinkOutput(link).data, status=status.HTTP_201_CREATED)


class ParentLinkDetailView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        link = (
            ParentLink.objects.select_related("student")
            .filter(pk=pk, student__in=selectors.student_list(viewer=_viewer(request)))
            .first()
        )
        if link is None:
            raise Http404
        services.parent_link_remove(link=link, actor=_viewer(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Consent -----------------------------------------------------------------------------------


class StudentConsentView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        statement = serializers.CharField(
            max_length=2000, help_text="The statement the parent agrees to, word for word."
        )
        parent_link_id = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_ID,
            help_text="Staff only: the linked parent who consented on paper or by voice.",
        )
        method = serializers.ChoiceField(
            choices=[ParentalConsent.Method.PAPER_FORM, ParentalConsent.Method.VERBAL],
            required=False,
            help_text="Staff only. A parent's own consent is always recorded as online.",
        )

    @extend_schema(
        operation_id="crm_student_consents_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ConsentOutput)},
    )
    def get(self, request, pk: int):
        student = _student(request, pk)
        viewer = _viewer(request)
        if not selectors.consent_history_visible(viewer=viewer, student=student):
            raise PermissionDenied("Only the agency's staff and the student's parents see this.")
        consents = selectors.consent_history(viewer=viewer, student=student)
        return paginated_response(
            request=request, view=self, queryset=consents, output=ConsentOutput
        )

    @extend_schema(request=InputSerializer, responses={201: ConsentOutput})
    def post(self, request, pk: int):
        student = _student(request, pk)
        viewer = _viewer(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if viewer.is_agency_staff:
            consent = services.consent_record(
                student=student,
                actor=viewer,
                parent_link_id=values.get("parent_link_id"),
                method=values.get("method", ""),
                statement=values["statement"],
                request=request,
            )
        else:
            consent = services.consent_give(
                student=student, actor=viewer, statement=values["statement"], request=request
            )
        return Response(ConsentOutput(consent).data, status=status.HTTP_201_CREATED)


class StudentConsentWithdrawView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(request=None, responses={200: ConsentOutput})
    def post(self, request, pk: int):
        consent = services.consent_withdraw(
            student=_student(request, pk), actor=_viewer(request), request=request
        )
        return Response(ConsentOutput(consent).data)


# Tutor assignments -------------------------------------------------------------------------


class StudentTutorListView(APIView):
    permission_classes = [IsAgencyStaff]

    class InputSerializer(serializers.Serializer):
        tutor_id = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, help_text="User id of an active tutor here."
        )
        subject_id = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, required=False, allow_null=True
        )

    @extend_schema(request=InputSerializer, responses={201: TutorAssignmentOutput})
    def post(self, request, pk: int):
        student = _student(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignment = services.tutor_assign(
            student=student, actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(TutorAssignmentOutput(assignment).data, status=status.HTTP_201_CREATED)


class TutorAssignmentDetailView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        assignment = (
            TutorAssignment.objects.filter(
                pk=pk, student__in=selectors.student_list(viewer=_viewer(request))
            )
            .select_related("student")
            .first()
        )
        if assignment is None:
            raise Http404
        services.tutor_unassign(assignment=assignment, actor=_viewer(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("crm/students/", StudentListView.as_view(), name="crm_students"),
    path("crm/students/<int:pk>/", StudentDetailView.as_view(), name="crm_student"),
    path(
        "crm/students/<int:pk>/archive/",
        StudentArchiveView.as_view(),
        name="crm_student_archive",
    ),
    path(
        "crm/students/<int:pk>/unarchive/",
        StudentUnarchiveView.as_view(),
        name="crm_student_unarchive",
    ),
    path(
        "crm/students/<int:pk>/parents/",
        StudentParentListView.as_view(),
        name="crm_student_parents",
    ),
    path(
        "crm/students/<int:pk>/consent/",
        StudentConsentView.as_view(),
        name="crm_student_consent",
    ),
    path(
        "crm/students/<int:pk>/consent/withdraw/",
        StudentConsentWithdrawView.as_view(),
        name="crm_student_consent_withdraw",
    ),
    path(
        "crm/students/<int:pk>/tutors/",
        StudentTutorListView.as_view(),
        name="crm_student_tutors",
    ),
    path("crm/parent-links/<int:pk>/", ParentLinkDetailView.as_view(), name="crm_parent_link"),
    path(
        "crm/tutor-assignments/<int:pk>/",
        TutorAssignmentDetailView.as_view(),
        name="crm_tutor_assignment",
    ),
]

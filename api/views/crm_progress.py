"""CRM API: a student's learning goals, progress towards them, and shared documents.

Every route reaches its objects through a student the caller may see, so a student,
goal or document of someone else (or of another tenant) is simply not found.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import NoReverseMatch, path, reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from crm import selectors, services
from crm.models import LearningGoal, StudentDocument, StudentProfile

MAX_ID = 2**31 - 1


def _viewer(request) -> Membership:
    return request._request.membership


def _student(request, pk: int) -> StudentProfile:
    student = selectors.student_get(viewer=_viewer(request), pk=pk)
    if student is None:
        raise Http404
    return student


def _goal(request, pk: int) -> LearningGoal:
    goal = selectors.goal_get(viewer=_viewer(request), pk=pk)
    if goal is None:
        raise Http404
    return goal


# Output ------------------------------------------------------------------------------------


class ProgressPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class GoalSubjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class GoalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student_id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    subject = GoalSubjectOutput(allow_null=True)
    target_date = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=LearningGoal.Status.choices)
    latest_progress = serializers.IntegerField(
        allow_null=True, help_text="The latest recorded progress in %, null before any."
    )
    suggest_achieved = serializers.SerializerMethodField(
        help_text="True when the latest progress is 100 % but the goal is not marked achieved."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_suggest_achieved(self, goal: LearningGoal) -> bool:
        return getattr(goal, "latest_progress", None) == 100 and goal.status in (
            LearningGoal.Status.NOT_STARTED,
            LearningGoal.Status.IN_PROGRESS,
        )


class ProgressEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    goal_id = serializers.IntegerField()
    recorded_on = serializers.DateField()
    progress = serializers.IntegerField(help_text="0 to 100 (%).")
    note = serializers.CharField()
    recorded_by = ProgressPersonOutput()
    created_at = serializers.DateTimeField()


class ProgressPointOutput(serializers.Serializer):
    date = serializers.DateField()
    progress = serializers.IntegerField()


class GoalSeriesOutput(serializers.Serializer):
    id = serializers.IntegerField(source="goal.id")
    title = serializers.CharField(source="goal.title")
    status = serializers.CharField(source="goal.status")
    target_date = serializers.DateField(source="goal.target_date", allow_null=True)
    points = ProgressPointOutput(many=True)


class ProgressOutput(serializers.Serializer):
    student_id = serializers.IntegerField()
    goals = GoalSeriesOutput(many=True)


class StudentDocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    student_id = serializers.IntegerField()
    title = serializers.CharField()
    category = serializers.ChoiceField(choices=StudentDocument.Category.choices)
    document_id = serializers.IntegerField()
    original_name = serializers.CharField(source="document.original_name")
    content_type = serializers.CharField(source="document.content_type")
    size = serializers.IntegerField(source="document.size")
    shared_by = ProgressPersonOutput()
    download_url = serializers.SerializerMethodField(
        help_text="Where the file is served, after a permission check."
    )
    created_at = serializers.DateTimeField()

    def get_download_url(self, shared: StudentDocument) -> str | None:
        try:
            return reverse("api:crm_document", kwargs={"pk": shared.document_id})
        except NoReverseMatch:
            return None


# Goals -------------------------------------------------------------------------------------


class GoalInputFields(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    subject_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID
    )
    target_date = serializers.DateField(
        required=False, allow_null=True, help_text="Not in the past (the agency's date)."
    )
    status = serializers.ChoiceField(choices=LearningGoal.Status.choices, required=False)


class StudentGoalListView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(GoalInputFields):
        pass

    @extend_schema(
        operation_id="crm_student_goals_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(GoalOutput)},
    )
    def get(self, request, pk: int):
        goals = selectors.goal_list(viewer=_viewer(request), student=_student(request, pk))
        return paginated_response(request=request, view=self, queryset=goals, output=GoalOutput)

    @extend_schema(
        operation_id="crm_student_goals_create",
        request=InputSerializer,
        responses={201: GoalOutput},
    )
    def post(self, request, pk: int):
        student = _student(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        goal = services.goal_create(
            actor=_viewer(request), student=student, request=request, **data.validated_data
        )
        return Response(GoalOutput(_goal(request, goal.pk)).data, status=status.HTTP_201_CREATED)


class GoalDetailView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(GoalInputFields):
        title = serializers.CharField(max_length=200, required=False, allow_blank=True)

    @extend_schema(responses={200: GoalOutput})
    def get(self, request, pk: int):
        return Response(GoalOutput(_goal(request, pk)).data)

    @extend_schema(request=InputSerializer, responses={200: GoalOutput})
    def patch(self, request, pk: int):
        goal = _goal(request, pk)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.goal_update(
            actor=_viewer(request), goal=goal, request=request, **data.validated_data
        )
        return Response(GoalOutput(_goal(request, pk)).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        services.goal_delete(actor=_viewer(request), goal=_goal(request, pk), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Progress ----------------------------------------------------------------------------------


class GoalEntryListView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        progress = serializers.IntegerField(help_text="0 to 100 (%).")
        recorded_on = serializers.DateField(
            required=False, help_text="Not in the future; defaults to today (the agency's date)."
        )
        note = serializers.CharField(max_length=2000, required=False, allow_blank=True)

    @extend_schema(
        operation_id="crm_goal_entries_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ProgressEntryOutput)},
    )
    def get(self, request, pk: int):
        entries = selectors.progress_entry_list(viewer=_viewer(request), goal=_goal(request, pk))
        return paginated_response(
            request=request, view=self, queryset=entries, output=ProgressEntryOutput
        )

    @extend_schema(
        operation_id="crm_goal_entries_create",
        request=InputSerializer,
        responses={201: ProgressEntryOutput},
    )
    def post(self, request, pk: int):
        goal = _goal(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.progress_entry_record(
            actor=_viewer(request), goal=goal, request=request, **data.validated_data
        )
        return Response(ProgressEntryOutput(entry).data, status=status.HTTP_201_CREATED)


class ProgressEntryDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        entry = selectors.progress_entry_get(viewer=_viewer(request), pk=pk)
        if entry is None:
            raise Http404
        services.progress_entry_delete(actor=_viewer(request), entry=entry, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class StudentProgressView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(operation_id="crm_student_progress", responses={200: ProgressOutput})
    def get(self, request, pk: int):
        student = _student(request, pk)
        series = selectors.progress_series(viewer=_viewer(request), student=student)
        return Response(ProgressOutput({"student_id": student.pk, "goals": series}).data)


# Documents ---------------------------------------------------------------------------------


class StudentDocumentListView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        title = serializers.CharField(max_length=200, allow_blank=True)
        category = serializers.ChoiceField(choices=StudentDocument.Category.choices)
        file = serializers.FileField(
            allow_empty_file=True, help_text="PDF, JPEG or PNG (checked from its content), 20 MB."
        )

    @extend_schema(
        operation_id="crm_student_documents_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(StudentDocumentOutput)},
    )
    def get(self, request, pk: int):
        documents = selectors.student_document_list(
            viewer=_viewer(request), student=_student(request, pk)
        )
        return paginated_response(
            request=request, view=self, queryset=documents, output=StudentDocumentOutput
        )

    @extend_schema(
        operation_id="crm_student_documents_create",
        request={"multipart/form-data": InputSerializer},
        responses={201: StudentDocumentOutput},
    )
    def post(self, request, pk: int):
        student = _student(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shared = services.student_document_share(
            actor=_viewer(request), student=student, request=request, **data.validated_data
        )
        return Response(StudentDocumentOutput(shared).data, status=status.HTTP_201_CREATED)


class StudentDocumentDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        shared = selectors.student_document_get(viewer=_viewer(request), pk=pk)
        if shared is None:
            raise Http404
        services.student_document_delete(
            actor=_viewer(request), student_document=shared, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path(
        "crm/students/<int:pk>/goals/",
        StudentGoalListView.as_view(),
        name="crm_student_goals",
    ),
    path("crm/goals/<int:pk>/", GoalDetailView.as_view(), name="crm_goal"),
    path("crm/goals/<int:pk>/entries/", GoalEntryListView.as_view(), name="crm_goal_entries"),
    path(
        "crm/progress-entries/<int:pk>/",
        ProgressEntryDetailView.as_view(),
        name="crm_progress_entry",
    ),
    path(
        "crm/students/<int:pk>/progress/",
        StudentProgressView.as_view(),
        name="crm_student_progress",
    ),
    path(
        "crm/students/<int:pk>/documents/",
        StudentDocumentListView.as_view(),
        name="crm_student_documents",
    ),
    path(
        "crm/student-documents/<int:pk>/",
        StudentDocumentDetailView.as_view(),
        name="crm_student_document",
    ),
]

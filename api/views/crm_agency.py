"""CRM API for agency management: CSV import (owners, admins) and export (agency staff).

An import is all or nothing: any faulty row refuses the whole file with a 400 whose
``error.fields.rows`` lists every problem as ``{row, column, message}`` (the header is
row 1); a fault of the file itself is in ``error.fields.file``.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.permissions import IsTenantManager, IsTenantMember
from crm import csv_io, selectors, services


class IsAgencyStaff(IsTenantMember):
    message = "Only the agency's owners, admins and staff can do this."

    def has_permission(self, request, view) -> bool:
        membership: Membership | None = getattr(request._request, "membership", None)
        return membership is not None and membership.is_agency_staff


class ImportOutput(serializers.Serializer):
    rows = serializers.IntegerField(help_text="Rows in the file (blank lines not counted).")
    imported = serializers.IntegerField(help_text="Rows imported: 0 in a dry run.")
    dry_run = serializers.BooleanField()


class ImportProblemOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row in the file; the header is row 1.")
    column = serializers.CharField(help_text="Column name; empty for the row as a whole.")
    message = serializers.CharField()


class _ImportView(APIView):
    permission_classes = [IsTenantManager]
    parser_classes = [MultiPartParser]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="UTF-8 CSV (a BOM is fine), at most 1 MB.")

    class QuerySerializer(serializers.Serializer):
        dry_run = serializers.BooleanField(
            required=False, default=False, help_text="Check every row, import nothing."
        )

    def run(self, **kwargs) -> int:
        raise NotImplementedError

    def post(self, request):
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dry_run = query.validated_data["dry_run"]
        rows = csv_io.csv_read(
            data.validated_data["file"],
            required=self.required,
            optional=self.optional,
            ignored=self.ignored,
        )
        count = self.run(
            actor=request._request.membership, rows=rows, dry_run=dry_run, request=request
        )
        body = {"rows": count, "imported": 0 if dry_run else count, "dry_run": dry_run}
        return Response(
            ImportOutput(body).data,
            status=status.HTTP_200_OK if dry_run else status.HTTP_201_CREATED,
        )


_IMPORT_RESPONSES = {
    201: ImportOutput,
    200: OpenApiResponse(ImportOutput, description="Dry run: every row is valid."),
    400: OpenApiResponse(
        description="Nothing imported. `error.fields.rows`: a list of {row, column, message}; "
        "`error.fields.file`: what is wrong with the file as a whole."
    ),
}


class StudentImportView(_ImportView):
    required = csv_io.STUDENT_REQUIRED
    optional = tuple(c for c in csv_io.STUDENT_COLUMNS if c not in csv_io.STUDENT_REQUIRED)
    ignored = csv_io.STUDENT_SUMMARY_COLUMNS

    def run(self, **kwargs) -> int:
        return services.students_import(**kwargs)

    @extend_schema(
        operation_id="crm_import_students",
        description=(
            "Columns: " + ", ".join(csv_io.STUDENT_COLUMNS) + " (subjects: slugs separated by "
            "`;`). The export's `parents` and `tutors` summary columns are ignored. Each "
            "row is recorded as adding a student by hand would: parents and the student "
            "are invited by email."
        ),
        request={"multipart/form-data": _ImportView.InputSerializer},
        parameters=[_ImportView.QuerySerializer],
        responses=_IMPORT_RESPONSES,
    )
    def post(self, request):
        return super().post(request)


class TutorImportView(_ImportView):
    required = csv_io.TUTOR_REQUIRED
    optional = tuple(c for c in csv_io.TUTOR_COLUMNS if c not in csv_io.TUTOR_REQUIRED)

    def run(self, **kwargs) -> int:
        return services.tutors_import(**kwargs)

    @extend_schema(
        operation_id="crm_import_tutors",
        description=(
            "Columns: " + ", ".join(csv_io.TUTOR_COLUMNS) + " (languages: codes separated "
            "by `;`; subjects: `slug:level:proficiency[:hourly_rate_minor]` separated by "
            "`;`, rates in the agency's currency). Each tutor is recorded and invited."
        ),
        request={"multipart/form-data": _ImportView.InputSerializer},
        parameters=[_ImportView.QuerySerializer],
        responses=_IMPORT_RESPONSES,
    )
    def post(self, request):
        return super().post(request)


_CSV_RESPONSE = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A CSV attachment.")
}


class StudentExportView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(
        operation_id="crm_export_students",
        description="The import's columns, then `parents` (every parent's email) and "
        "`tutors` (assigned tutors), which an import ignores.",
        responses=_CSV_RESPONSE,
    )
    def get(self, request):
        viewer = request._request.membership
        return csv_io.csv_response(
            filename=f"{viewer.tenant.slug}-students.csv",
            header=(*csv_io.STUDENT_COLUMNS, *csv_io.STUDENT_SUMMARY_COLUMNS),
            rows=selectors.student_export_rows(viewer=viewer),
        )


class TutorExportView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(
        operation_id="crm_export_tutors",
        description="The import's columns; invited tutors included.",
        responses=_CSV_RESPONSE,
    )
    def get(self, request):
        viewer = request._request.membership
        return csv_io.csv_response(
            filename=f"{viewer.tenant.slug}-tutors.csv",
            header=csv_io.TUTOR_COLUMNS,
            rows=selectors.tutor_export_rows(viewer=viewer),
        )


urlpatterns = [
    path("crm/import/students/", StudentImportView.as_view(), name="crm_import_students"),
    path("crm/import/tutors/", TutorImportView.as_view(), name="crm_import_tutors"),
    path("crm/export/students.csv", StudentExportView.as_view(), name="crm_export_students"),
    path("crm/export/tutors.csv", TutorExportView.as_view(), name="crm_export_tutors"),
]

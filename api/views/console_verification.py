"""The console's verification of marketplace tutors through the API (root domain).

Platform staff read the queue and one tutor's credentials, and decide on each credential
and on the verified badge; anyone else is refused (403). Files are opened through the
console's document page, whose address each credential carries.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsPlatformStaff, OnPublicHost
from crm.models import Credential, Level, VerificationStatus
from marketplace.selectors.verification import (
    verification_credential_get,
    verification_queue,
    verification_tutor_get,
)
from marketplace.services.verification import credential_verify, tutor_verify

REFUSED = OpenApiResponse(description="Only platform staff.")
NOT_FOUND = OpenApiResponse(description="No such tutor or credential on the marketplace.")
PERMISSIONS = [IsPlatformStaff, OnPublicHost]


def _email(profile) -> str:
    return profile.user.email if profile.user_id else profile.invited_email


# Input -------------------------------------------------------------------------------------


class VerificationQueueQuery(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=VerificationStatus.choices,
        required=False,
        allow_blank=True,
        help_text="Only tutors in this state.",
    )
    search = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text="Words of the name or email."
    )


class VerificationDecisionInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[VerificationStatus.VERIFIED, VerificationStatus.REJECTED]
    )
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=2000,
        help_text="Required when rejecting (or revoking); the tutor sees it.",
    )


# Output ------------------------------------------------------------------------------------


class VerificationPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.full_name or user.email


class VerificationTutorRowOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="full_name")
    email = serializers.SerializerMethodField()
    verification_status = serializers.ChoiceField(choices=VerificationStatus.choices)
    verification_reason = serializers.CharField()
    verification_reviewed_at = serializers.DateTimeField(allow_null=True)
    credential_count = serializers.IntegerField()
    pending_credentials = serializers.IntegerField(help_text="Credentials awaiting a decision.")
    identity_verified = serializers.BooleanField(
        help_text="Whether an identity document is verified (needed for the badge)."
    )
    created_at = serializers.DateTimeField()

    def get_email(self, profile) -> str:
        return _email(profile)


class VerificationDocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField(help_text="What the content is, read from its bytes.")
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.SerializerMethodField(help_text="The console page streaming the file.")

    def get_url(self, document) -> str:
        return reverse(
            "web:console_verification_document",
            kwargs={"document_id": document.pk},
            urlconf=settings.PUBLIC_SCHEMA_URLCONF,
        )


class VerificationCredentialOutput(serializers.Serializer):
    id = serializers.IntegerField()
    profile_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Credential.Kind.choices)
    title = serializers.CharField()
    issuer = serializers.CharField()
    issued_on = serializers.DateField(allow_null=True)
    expires_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=VerificationStatus.choices)
    rejection_reason = serializers.CharField()
    reviewed_at = serializers.DateTimeField(allow_null=True)
    reviewed_by = VerificationPersonOutput(allow_null=True)
    document = VerificationDocumentOutput()
    created_at = serializers.DateTimeField()


class VerificationSubjectOutput(serializers.Serializer):
    name = serializers.CharField(source="subject.name")
    level = serializers.ChoiceField(choices=Level.choices)
    proficiency = serializers.IntegerField()


class VerificationDecisionOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    credential_id = serializers.IntegerField(
        source="credential.pk", allow_null=True, help_text="Empty: a decision on the badge."
    )
    credential_title = serializers.CharField(source="credential.title", allow_null=True)
    status = serializers.ChoiceField(choices=VerificationStatus.choices)
    revoked = serializers.BooleanField(help_text="Rejected after having been verified.")
    reason = serializers.CharField()
    reviewer = VerificationPersonOutput(allow_null=True)


class VerificationTutorOutput(serializers.Serializer):
    id = serializers.IntegerField(source="profile.pk")
    name = serializers.CharField(source="profile.full_name")
    email = serializers.SerializerMethodField()
    headline = serializers.CharField(source="profile.headline")
    bio = serializers.CharField(source="profile.bio")
    languages = serializers.ListField(child=serializers.CharField(), source="profile.languages")
    years_of_experience = serializers.IntegerField(
        source="profile.years_of_experience", allow_null=True
    )
    subjects = VerificationSubjectOutput(many=True, source="profile.subjects.all")
    verification_status = serializers.ChoiceField(
        choices=VerificationStatus.choices, source="profile.verification_status"
    )
    verification_reason = serializers.CharField(source="profile.verification_reason")
    verification_reviewed_at = serializers.DateTimeField(
        source="profile.verification_reviewed_at", allow_null=True
    )
    verification_reviewed_by = VerificationPersonOutput(
        source="profile.verification_reviewed_by", allow_null=True
    )
    identity_verified = serializers.BooleanField(
        help_text="Whether an identity document is verified (needed for the badge)."
    )
    pending_credentials = serializers.IntegerField()
    credentials = VerificationCredentialOutput(many=True)
    history = VerificationDecisionOutput(
        many=True, help_text="Decisions from the audit log, newest first."
    )
    created_at = serializers.DateTimeField(source="profile.created_at")

    def get_email(self, found) -> str:
        return _email(found.profile)


# Views -------------------------------------------------------------------------------------


def _tutor_output(request, profile_id: int) -> dict:
    found = verification_tutor_get(viewer=request.user, profile_id=profile_id)
    if found is None:
        raise Http404
    return VerificationTutorOutput(found).data


class VerificationQueueView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        operation_id="console_verification_tutors_list",
        parameters=[VerificationQueueQuery, *PAGE_PARAMETERS],
        responses={200: paginated(VerificationTutorRowOutput), 403: REFUSED},
        description="Marketplace tutors to verify: undecided ones first, then those with "
        "credentials waiting.",
    )
    def get(self, request):
        query = VerificationQueueQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = verification_queue(
            viewer=request.user,
            status=query.validated_data.get("status", ""),
            search=query.validated_data.get("search", ""),
        )
        return paginated_response(
            request=request, view=self, queryset=rows, output=VerificationTutorRowOutput
        )


class VerificationTutorView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        operation_id="console_verification_tutor",
        responses={200: VerificationTutorOutput, 403: REFUSED, 404: NOT_FOUND},
        description="One marketplace tutor: profile, credentials with their files, and the "
        "history of decisions.",
    )
    def get(self, request, profile_id: int):
        return Response(_tutor_output(request, profile_id))


class VerificationTutorDecisionView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        operation_id="console_verification_tutor_decision",
        request=VerificationDecisionInput,
        responses={200: VerificationTutorOutput, 403: REFUSED, 404: NOT_FOUND},
        description="Grant (verified) or refuse or revoke (rejected, with a reason) the "
        "verified badge. Granting needs a verified identity document.",
    )
    def post(self, request, profile_id: int):
        data = VerificationDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        tutor_verify(
            staff=request.user, profile_id=profile_id, request=request, **data.validated_data
        )
        return Response(_tutor_output(request, profile_id))


class VerificationCredentialDecisionView(APIView):
    permission_classes = PERMISSIONS

    @extend_schema(
        operation_id="console_verification_credential_decision",
        request=VerificationDecisionInput,
        responses={200: VerificationCredentialOutput, 403: REFUSED, 404: NOT_FOUND},
        description="Verify or reject (with a reason) a marketplace tutor's credential.",
    )
    def post(self, request, credential_id: int):
        data = VerificationDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        credential_verify(
            staff=request.user, credential_id=credential_id, request=request, **data.validated_data
        )
        credential = verification_credential_get(viewer=request.user, credential_id=credential_id)
        return Response(VerificationCredentialOutput(credential).data)


urlpatterns = [
    path(
        "console/verification/tutors/",
        VerificationQueueView.as_view(),
        name="console_verification_tutors",
    ),
    path(
        "console/verification/tutors/<int:profile_id>/",
        VerificationTutorView.as_view(),
        name="console_verification_tutor",
    ),
    path(
        "console/verification/tutors/<int:profile_id>/decision/",
        VerificationTutorDecisionView.as_view(),
        name="console_verification_tutor_decision",
    ),
    path(
        "console/verification/credentials/<int:credential_id>/decision/",
        VerificationCredentialDecisionView.as_view(),
        name="console_verification_credential_decision",
    ),
]

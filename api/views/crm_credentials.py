"""CRM: tutors' credentials and introduction videos, the agency's review, protected files.

A tutor uploads and manages their own credentials (multipart); the agency's staff read
them; owners and admins review credentials and tutors. Stored files are streamed only to
members allowed to see them: anyone else gets 404, as if the file did not exist.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantManager, IsTenantMember
from api.views.crm import IsTenantTutor, TutorProfileOutput, _profile_output, _viewer
from crm import selectors, services
from crm.documents import document_response
from crm.models import Credential, VerificationStatus

UPLOAD_PARSERS = [MultiPartParser, FormParser]


class DocumentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    original_name = serializers.CharField()
    content_type = serializers.CharField(help_text="What the content is, read from its bytes.")
    size = serializers.IntegerField(help_text="Bytes.")
    url = serializers.CharField(help_text="Where the file is served to those allowed.")

    def to_representation(self, document) -> dict:
        return {
            "id": document.pk,
            "original_name": document.original_name,
            "content_type": document.content_type,
            "size": document.size,
            "url": reverse("api:crm_document", kwargs={"pk": document.pk}),
        }


class CredentialOutput(serializers.Serializer):
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
    document = DocumentOutput()
    created_at = serializers.DateTimeField()


class TutorVerificationOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    verification_status = serializers.ChoiceField(choices=VerificationStatus.choices)
    verification_reason = serializers.CharField()
    verification_reviewed_at = serializers.DateTimeField(allow_null=True)


class ReviewInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[VerificationStatus.VERIFIED, VerificationStatus.REJECTED]
    )
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=2000,
        help_text="Required when rejecting; the tutor sees it.",
    )


class CredentialFieldsInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Credential.Kind.choices)
    title = serializers.CharField(max_length=200)
    issuer = serializers.CharField(max_length=200, required=False, allow_blank=True)
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)
    file = serializers.FileField(help_text="PDF, JPEG or PNG, at most 10 MB.")


def _credential(request, pk: int) -> Credential:
    credential = selectors.credential_get(viewer=_viewer(request), pk=pk)
    if credential is None:
        raise Http404
    return credential


class MyCredentialListView(APIView):
    permission_classes = [IsTenantTutor]
    parser_classes = UPLOAD_PARSERS

    class InputSerializer(CredentialFieldsInput):
        pass

    @extend_schema(
        operation_id="crm_my_credentials_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(CredentialOutput)},
    )
    def get(self, request):
        actor = _viewer(request)
        profile = services.tutor_profile_ensure(actor=actor)
        credentials = selectors.credential_list(viewer=actor, profile=profile)
        return paginated_response(
            request=request, view=self, queryset=credentials, output=CredentialOutput
        )

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: CredentialOutput},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = _viewer(request)
        profile = services.tutor_profile_ensure(actor=actor)
        credential = services.credential_create(
            profile=profile, actor=actor, request=request, **data.validated_data
        )
        return Response(CredentialOutput(credential).data, status=status.HTTP_201_CREATED)


class CredentialDetailView(APIView):
    """The tutor it belongs to manages it; the agency's staff read it."""

    permission_classes = [IsTenantMember]
    parser_classes = [*UPLOAD_PARSERS, JSONParser]

    class InputSerializer(CredentialFieldsInput):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, partial=True, **kwargs)

    @extend_schema(responses={200: CredentialOutput})
    def get(self, request, pk: int):
        return Response(CredentialOutput(_credential(request, pk)).data)

    @extend_schema(
        request={
            "multipart/form-data": InputSerializer,
            "application/json": InputSerializer,
        },
        responses={200: CredentialOutput},
        description="Change the fields given, or replace the file; it goes back to pending.",
    )
    def patch(self, request, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = services.credential_update(
            credential=_credential(request, pk),
            actor=_viewer(request),
            request=request,
            **data.validated_data,
        )
        return Response(CredentialOutput(credential).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        services.credential_delete(
            credential=_credential(request, pk), actor=_viewer(request), request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class CredentialReviewView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(request=ReviewInput, responses={200: CredentialOutput})
    def post(self, request, pk: int):
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        credential = services.credential_review(
            credential=_credential(request, pk),
            actor=_viewer(request),
            request=request,
            **data.validated_data,
        )
        return Response(CredentialOutput(credential).data)


class TutorReviewView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(request=ReviewInput, responses={200: TutorVerificationOutput})
    def post(self, request, pk: int):
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = selectors.tutor_profile_get(viewer=_viewer(request), pk=pk)
        if profile is None:
            raise Http404
        profile = services.tutor_review(
            profile=profile, actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(TutorVerificationOutput(profile).data)


class MyIntroVideoView(APIView):
    permission_classes = [IsTenantTutor]
    parser_classes = UPLOAD_PARSERS

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(help_text="MP4 or WebM, at most 200 MB.")

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={200: TutorProfileOutput},
        description="Upload the introduction video, replacing any earlier upload.",
    )
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = _viewer(request)
        profile = services.tutor_profile_ensure(actor=actor)
        services.tutor_intro_video_upload(
            profile=profile, actor=actor, request=request, **data.validated_data
        )
        return Response(
            _profile_output(request, selectors.tutor_profile_of(user_id=profile.user_id))
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        actor = _viewer(request)
        profile = services.tutor_profile_ensure(actor=actor)
        services.tutor_intro_video_remove(profile=profile, actor=actor, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DocumentView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its sniffed content type."
            ),
            404: OpenApiResponse(description="No such file, or not one you may see."),
        },
    )
    def get(self, request, pk: int):
        document = selectors.document_get(viewer=_viewer(request), pk=pk)
        if document is None:
            raise Http404
        return document_response(document)


urlpatterns = [
    path(
        "crm/tutors/me/credentials/",
        MyCredentialListView.as_view(),
        name="crm_my_credentials",
    ),
    path(
        "crm/tutors/me/intro-video/",
        MyIntroVideoView.as_view(),
        name="crm_my_intro_video",
    ),
    path("crm/tutors/<int:pk>/review/", TutorReviewView.as_view(), name="crm_tutor_review"),
    path("crm/credentials/<int:pk>/", CredentialDetailView.as_view(), name="crm_credential"),
    path(
        "crm/credentials/<int:pk>/review/",
        CredentialReviewView.as_view(),
        name="crm_credential_review",
    ),
    path("crm/documents/<int:pk>/", DocumentView.as_view(), name="crm_document"),
]

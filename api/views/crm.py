"""CRM: the subjects catalogue and tutor profiles.

Members read the catalogue, owners and admins edit it; tutors edit their own profile;
every member reads tutor profiles with the sections the tutor shares with them.
"""

from __future__ import annotations

from functools import partial

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantManager, IsTenantMember
from crm import selectors, services
from crm.models import (
    Difficulty,
    Level,
    Subject,
    TutorProfile,
    TutorSubject,
    VerificationStatus,
    Visibility,
)

MAX_ID = 2**31 - 1


class IsTenantTutor(IsTenantMember):
    message = "Only the tutors of this tenant can do this."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request._request, "membership", None)
        return membership is not None and membership.role == Membership.Role.TUTOR


class IsManagerToWrite(IsTenantMember):
    """Any member may read; only owners and admins may write."""

    message = "Only the owners and admins of this tenant can do this."

    def has_permission(self, request, view) -> bool:
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return super().has_permission(request, view)
        return IsTenantManager().has_permission(request, view)


# Output ------------------------------------------------------------------------------------


class SubjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    is_active = serializers.BooleanField()
    ordering = serializers.IntegerField()


class SubjectBriefOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class TutorSubjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subject = SubjectBriefOutput()
    level = serializers.CharField()
    difficulty = serializers.CharField()
    proficiency = serializers.IntegerField()
    hourly_rate_minor = serializers.IntegerField(
        allow_null=True, help_text="Minor units of currency; null when unset or not shared."
    )
    currency = serializers.CharField(allow_null=True)


class BasicsOutput(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    headline = serializers.CharField()
    years_of_experience = serializers.IntegerField(allow_null=True)
    languages = serializers.ListField(child=serializers.CharField())
    availability_summary = serializers.CharField()


class CredentialsOutput(serializers.Serializer):
    count = serializers.IntegerField()


class BioOutput(serializers.Serializer):
    bio = serializers.CharField()
    intro_video_url = serializers.CharField(help_text="A link to a video elsewhere, or empty.")
    intro_video_document_url = serializers.CharField(
        allow_null=True, help_text="The uploaded video, served to those allowed; or null."
    )


class CompletionOutput(serializers.Serializer):
    percent = serializers.IntegerField()
    sections = serializers.DictField(child=serializers.BooleanField())


class TutorProfileOutput(serializers.Serializer):
    """A profile with only the sections the viewer may see; hidden sections are null.

    ``visibility`` and ``completion`` are shown to the tutor and the agency's staff only.
    """

    id = serializers.IntegerField()
    user_id = serializers.IntegerField(
        allow_null=True, help_text="Null while an invited tutor has not joined yet."
    )
    basics = BasicsOutput(allow_null=True)
    subjects = TutorSubjectOutput(many=True, allow_null=True)
    credentials = CredentialsOutput(allow_null=True)
    bio = BioOutput(allow_null=True)
    visibility = serializers.DictField(
        child=serializers.ChoiceField(choices=Visibility.choices),
        allow_null=True,
        help_text="Section (basics, subjects, rates, credentials, bio) → who may see it.",
    )
    completion = CompletionOutput(allow_null=True)
    updated_at = serializers.DateTimeField()

    def to_representation(self, profile: TutorProfile) -> dict:
        viewer: Membership = self.context["viewer"]
        visible = selectors.tutor_profile_visible_sections(profile=profile, viewer=viewer)
        full = viewer.is_agency_staff or viewer.user_id == profile.user_id
        subjects = None
        if "subjects" in visible:
            subjects = TutorSubjectOutput(profile.subjects.all(), many=True).data
            if "rates" not in visible:
                for item in subjects:
                    item["hourly_rate_minor"] = item["currency"] = None
        completion = selectors.tutor_profile_completion(profile=profile) if full else None
        return {
            "id": profile.pk,
            "user_id": profile.user_id,
            "basics": {
                "first_name": profile.first_name,
                "last_name": profile.last_name,
                "headline": profile.headline,
                "years_of_experience": profile.years_of_experience,
                "languages": profile.languages,
                "availability_summary": profile.availability_summary,
            }
            if "basics" in visible
            else None,
            "subjects": subjects,
            "credentials": {"count": selectors.tutor_credential_count(profile=profile)}
            if "credentials" in visible
            else None,
            "bio": {
                "bio": profile.bio,
                "intro_video_url": profile.intro_video_url,
                "intro_video_document_url": reverse(
                    "api:crm_document", kwargs={"pk": profile.intro_video_id}
                )
                if profile.intro_video_id
                else None,
            }
            if "bio" in visible
            else None,
            "visibility": {s: profile.visibility_of(s) for s in TutorProfile.SECTIONS}
            if full
            else None,
            "completion": {"percent": completion.percent, "sections": completion.sections}
            if completion
            else None,
            "updated_at": serializers.DateTimeField().to_representation(profile.updated_at),
        }


def _viewer(request) -> Membership:
    return request._request.membership


def _profile_output(request, profile: TutorProfile) -> dict:
    return TutorProfileOutput(profile, context={"viewer": _viewer(request)}).data


# Subjects ----------------------------------------------------------------------------------


class SubjectListView(APIView):
    permission_classes = [IsManagerToWrite]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80)
        slug = serializers.CharField(max_length=80, required=False, default="", allow_blank=True)
        ordering = serializers.IntegerField(required=False, default=0)

    @extend_schema(
        operation_id="crm_subjects_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(SubjectOutput)},
    )
    def get(self, request):
        subjects = selectors.subject_list(viewer=_viewer(request))
        return paginated_response(
            request=request, view=self, queryset=subjects, output=SubjectOutput
        )

    @extend_schema(request=InputSerializer, responses={201: SubjectOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = services.subject_create(actor=_viewer(request), **data.validated_data)
        return Response(SubjectOutput(subject).data, status=status.HTTP_201_CREATED)


class SubjectDetailView(APIView):
    permission_classes = [IsTenantManager]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=80, required=False)
        is_active = serializers.BooleanField(required=False)
        ordering = serializers.IntegerField(required=False)

    @extend_schema(request=InputSerializer, responses={200: SubjectOutput})
    def patch(self, request, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = get_object_or_404(Subject, pk=pk)
        subject = services.subject_update(
            subject=subject, actor=_viewer(request), **data.validated_data
        )
        return Response(SubjectOutput(subject).data)


# Tutor profiles ----------------------------------------------------------------------------


class TutorListView(APIView):
    permission_classes = [IsTenantMember]

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="Words to find in the name or headline (and email, for agency staff).",
        )
        subject = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ID, help_text="A subject id."
        )
        level = serializers.ChoiceField(choices=Level.choices, required=False)
        verification = serializers.ChoiceField(
            choices=VerificationStatus.choices,
            required=False,
            help_text="Agency staff only; ignored for other members.",
        )
        status = serializers.ChoiceField(
            choices=selectors.TUTOR_STATUSES,
            required=False,
            help_text="invited: recorded and invited, not joined yet (agency staff only).",
        )
        sort = serializers.ChoiceField(
            choices=list(selectors.TUTOR_SORTS), required=False, default="name"
        )

    @extend_schema(
        operation_id="crm_tutors_list",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(TutorProfileOutput)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        criteria = dict(filters.validated_data)
        criteria["subject_id"] = criteria.pop("subject", None)
        profiles = selectors.tutor_profile_search(viewer=_viewer(request), **criteria)
        output = partial(TutorProfileOutput, context={"viewer": _viewer(request)})
        return paginated_response(request=request, view=self, queryset=profiles, output=output)


class TutorDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(responses={200: TutorProfileOutput})
    def get(self, request, pk: int):
        profile = selectors.tutor_profile_get(viewer=_viewer(request), pk=pk)
        if profile is None:
            raise Http404
        return Response(_profile_output(request, profile))


class MyTutorProfileView(APIView):
    permission_classes = [IsTenantTutor]

    class InputSerializer(serializers.Serializer):
        headline = serializers.CharField(max_length=120, required=False, allow_blank=True)
        bio = serializers.CharField(max_length=5000, required=False, allow_blank=True)
        years_of_experience = serializers.IntegerField(required=False, allow_null=True)
        languages = serializers.ListField(
            child=serializers.CharField(max_length=35), required=False, max_length=10
        )
        intro_video_url = serializers.CharField(max_length=500, required=False, allow_blank=True)
        availability_summary = serializers.CharField(
            max_length=1000, required=False, allow_blank=True
        )
        visibility = serializers.DictField(
            child=serializers.ChoiceField(choices=Visibility.choices),
            required=False,
            help_text="Sections to change: basics, subjects, rates, credentials, bio.",
        )

    @extend_schema(responses={200: TutorProfileOutput})
    def get(self, request):
        profile = services.tutor_profile_ensure(actor=_viewer(request))
        return Response(
            _profile_output(request, selectors.tutor_profile_of(user_id=profile.user_id))
        )

    @extend_schema(request=InputSerializer, responses={200: TutorProfileOutput})
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = _viewer(request)
        profile = services.tutor_profile_ensure(actor=actor)
        services.tutor_profile_update(
            profile=profile, actor=actor, request=request, **data.validated_data
        )
        return Response(
            _profile_output(request, selectors.tutor_profile_of(user_id=profile.user_id))
        )


def _my_tutor_subject(request, pk: int) -> TutorSubject:
    """One subject of the caller's own profile; anyone else's is simply not found."""
    return get_object_or_404(
        TutorSubject.objects.select_related("profile", "subject"),
        pk=pk,
        profile__user_id=request.user.pk,
    )


class MyTutorSubjectListView(APIView):
    permission_classes = [IsTenantTutor]

    class InputSerializer(serializers.Serializer):
        subject_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        level = serializers.ChoiceField(choices=Level.choices)
        difficulty = serializers.ChoiceField(
            choices=Difficulty.choices, required=False, default=Difficulty.BEGINNER
        )
        proficiency = serializers.IntegerField(help_text="From 1 to 5.")
        hourly_rate_minor = serializers.IntegerField(
            required=False,
            allow_null=True,
            default=None,
            help_text="Minor units (cents): 4500 is 45.00. From 1 to 10000000.",
        )
        currency = serializers.CharField(
            required=False,
            max_length=3,
            help_text="ISO 4217 code in capitals; defaults to the tenant's currency.",
        )

    @extend_schema(request=InputSerializer, responses={201: TutorSubjectOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = _viewer(request)
        profile = services.tutor_profile_ensure(actor=actor)
        tutor_subject = services.tutor_subject_add(
            profile=profile, actor=actor, request=request, **data.validated_data
        )
        return Response(TutorSubjectOutput(tutor_subject).data, status=status.HTTP_201_CREATED)


class MyTutorSubjectDetailView(APIView):
    permission_classes = [IsTenantTutor]

    class InputSerializer(serializers.Serializer):
        level = serializers.ChoiceField(choices=Level.choices, required=False)
        difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
        proficiency = serializers.IntegerField(required=False)
        hourly_rate_minor = serializers.IntegerField(required=False, allow_null=True)
        currency = serializers.CharField(required=False, max_length=3)

    @extend_schema(request=InputSerializer, responses={200: TutorSubjectOutput})
    def patch(self, request, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tutor_subject = services.tutor_subject_update(
            tutor_subject=_my_tutor_subject(request, pk),
            actor=_viewer(request),
            request=request,
            **data.validated_data,
        )
        return Response(TutorSubjectOutput(tutor_subject).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk: int):
        services.tutor_subject_remove(
            tutor_subject=_my_tutor_subject(request, pk), actor=_viewer(request), request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

"""Authentication endpoints: register, verify, tokens, password reset, two-factor."""

from __future__ import annotations

import zoneinfo

import segno
from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.services import profile, registration, tokens, two_factor
from accounts.services.authentication import user_sign_in_check
from api.permissions import OnPublicHost

TIME_ZONES = sorted(zoneinfo.available_timezones())


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    time_zone = serializers.CharField()
    locale = serializers.CharField()
    is_email_verified = serializers.BooleanField()
    is_platform_staff = serializers.BooleanField()
    two_factor_enabled = serializers.SerializerMethodField()

    def get_two_factor_enabled(self, user) -> bool:
        return two_factor.second_factor_required(user=user)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class RegisterView(APIView):
    """Create an account on the root domain; a verification email follows."""

    permission_classes = [AllowAny, OnPublicHost]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(
            max_length=128, trim_whitespace=False, style={"input_type": "password"}
        )
        first_name = serializers.CharField(max_length=150)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        time_zone = serializers.ChoiceField(choices=TIME_ZONES, default="UTC")
        locale = serializers.ChoiceField(choices=settings.LANGUAGES, default="en")

    @extend_schema(request=InputSerializer, responses={201: UserOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = registration.user_register(**data.validated_data, request=request)
        return Response(UserOutput(user).data, status=status.HTTP_201_CREATED)


class EmailVerifyView(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: UserOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = registration.email_verify(token=data.validated_data["token"], request=request)
        return Response(UserOutput(user).data)


class EmailInput(serializers.Serializer):
    email = serializers.EmailField()


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField()


class EmailVerifyResendView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(request=EmailInput, responses={202: None})
    def post(self, request):
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration.email_verification_resend(email=data.validated_data["email"], request=request)
        return Response(status=status.HTTP_202_ACCEPTED)


class TokenObtainView(APIView):
    """Sign in for a token pair bound to the tenant of this host."""

    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(max_length=128, trim_whitespace=False)
        otp = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=32,
            help_text="Authenticator or recovery code, when 2FA is on.",
        )

    @extend_schema(request=InputSerializer, responses={200: TokenPairOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = request._request.tenant
        user = user_sign_in_check(
            **data.validated_data, tenant=tenant, request=request, via="token"
        )
        return Response(tokens.token_pair_issue(user=user, tenant=tenant, request=request))


class TokenRefreshView(APIView):
    """Rotate a refresh token. Reusing an old one ends every session of that sign-in."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=RefreshInput, responses={200: TokenPairOutput})
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        pair = tokens.token_refresh(
            raw_refresh=data.validated_data["refresh"],
            tenant=request._request.tenant,
            request=request,
        )
        return Response(pair)


class TokenLogoutView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=RefreshInput, responses={204: None})
    def post(self, request):
        data = RefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        tokens.token_logout(
            raw_refresh=data.validated_data["refresh"],
            tenant=request._request.tenant,
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetRequestView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=EmailInput, responses={202: None})
    def post(self, request):
        data = EmailInput(data=request.data)
        data.is_valid(raise_exception=True)
        registration.password_reset_request(email=data.validated_data["email"], request=request)
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(APIView):
    permission_classes = [AllowAny]
    authentication_classes = []

    class InputSerializer(serializers.Serializer):
        uid = serializers.CharField()
        token = serializers.CharField()
        password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration.password_reset_confirm(
            uidb64=data.validated_data["uid"],
            token=data.validated_data["token"],
            password=data.validated_data["password"],
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Your account; PATCH changes your names, time zone or language."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        first_name = serializers.CharField(max_length=150, required=False)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        time_zone = serializers.ChoiceField(choices=TIME_ZONES, required=False)
        locale = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)

    @extend_schema(responses={200: UserOutput})
    def get(self, request):
        return Response(UserOutput(request.user).data)

    @extend_schema(request=InputSerializer, responses={200: UserOutput})
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = profile.user_profile_update(
            user=request.user, request=request, **data.validated_data
        )
        return Response(UserOutput(user).data)


class PasswordChangeView(APIView):
    """Change your password; every other sign-in of yours ends, this one stays."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        current_password = serializers.CharField(max_length=128, trim_whitespace=False)
        new_password = serializers.CharField(max_length=128, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses={204: None})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        family = request.auth.get(tokens.FAMILY_CLAIM) if request.auth is not None else None
        profile.password_change(
            user=request.user, keep_family=family, request=request, **data.validated_data
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TwoFactorEnrolView(APIView):
    """Start two-factor set-up: returns the secret as an otpauth URL and a QR code (SVG)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "TwoFactorEnrolment",
                {"otpauth_url": serializers.CharField(), "qr_svg": serializers.CharField()},
            )
        },
    )
    def post(self, request):
        device = two_factor.totp_enrol_begin(user=request.user)
        qr = segno.make(device.config_url, error="m").svg_inline(scale=4)
        return Response(
            {"otpauth_url": device.config_url, "qr_svg": qr}, status=status.HTTP_201_CREATED
        )


class CodeInput(serializers.Serializer):
    code = serializers.CharField(max_length=32)


class TwoFactorConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CodeInput,
        responses={
            200: inline_serializer(
                "RecoveryCodes",
                {"recovery_codes": serializers.ListField(child=serializers.CharField())},
            )
        },
    )
    def post(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes = two_factor.totp_enrol_confirm(
            user=request.user, code=data.validated_data["code"], request=request
        )
        return Response({"recovery_codes": codes})


class TwoFactorDisableView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=CodeInput, responses={204: None})
    def post(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        two_factor.totp_disable(
            user=request.user, code=data.validated_data["code"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class RecoveryCodesView(APIView):
    """Replace the recovery codes (needs a current authenticator code)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CodeInput,
        responses={
            200: inline_serializer(
                "NewRecoveryCodes",
                {"recovery_codes": serializers.ListField(child=serializers.CharField())},
            )
        },
    )
    def post(self, request):
        data = CodeInput(data=request.data)
        data.is_valid(raise_exception=True)
        two_factor.second_factor_verify(
            user=request.user, code=data.validated_data["code"], request=request
        )
        return Response({"recovery_codes": two_factor.recovery_codes_generate(user=request.user)})

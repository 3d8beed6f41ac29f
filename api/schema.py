"""OpenAPI descriptions of our authentication classes."""

from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TenantJWTScheme(SimpleJWTScheme):
    target_class = "api.authentication.TenantJWTAuthentication"
    name = "tenantJWT"

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] = (
            "Access token from /api/v1/auth/token/ on this tenant's host; refused on any other."
        )
        return definition


class TenantSessionScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.TenantSessionAuthentication"
    name = "portalSession"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class AutoSchema(openapi.AutoSchema):
    """Name nested serializers after their view.

    ``TokenObtainView.InputSerializer`` becomes ``TokenObtainInput``: every view's
    InputSerializer would otherwise collide in the schema's components.
    """

    def get_serializer_name(self, serializer, direction):
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.split(".")[-2:]
            return outer.removesuffix("View") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

"""Page-number pagination for list endpoints, and its description in the OpenAPI schema.

List views are plain APIViews (thin, calling selectors), so they paginate with
``paginated_response`` and declare ``PAGE_PARAMETERS`` and ``paginated(Output)`` in
their schema.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import pagination, serializers


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 100


PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1."),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Items per page (default 25, at most {PageNumberPagination.max_page_size}).",
    ),
]

_PAGE_SERIALIZERS: dict[tuple[type, tuple], type[serializers.Serializer]] = {}


def paginated(item: type[serializers.Serializer], **extra: serializers.Field):
    """A serializer describing one page of ``item``s (plus ``extra`` top-level fields)."""
    key = (item, tuple(sorted(extra)))
    if key not in _PAGE_SERIALIZERS:
        name = "Paginated" + item.__name__.removesuffix("Output") + "List"
        fields = {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
            **extra,
        }
        _PAGE_SERIALIZERS[key] = type(name, (serializers.Serializer,), fields)
    return _PAGE_SERIALIZERS[key]


def paginated_response(*, request, view, queryset, output: type[serializers.Serializer]):
    """One page of ``queryset`` rendered with ``output``, with count and links."""
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(output(page, many=True).data)

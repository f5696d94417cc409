"""Shared DRF plumbing: the project-wide exception handler and the error answers the schema describes.

Every error the API gives has a ``detail`` a person can read; domain errors add a stable ``code`` (and
sometimes a ``link`` to what to do next) so clients can branch without parsing prose.
"""

import copy
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from portal.errors import DomainError


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)
    link = serializers.CharField(required=False)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorOut, description=description)


FIELD_ERRORS = OpenApiResponse(
    OpenApiTypes.OBJECT, description="Field messages: {field: [message, …]}; non_field_errors for the rest."
)


class CachedFieldsModelSerializer(serializers.ModelSerializer):
    """``ModelSerializer`` that maps its model's fields to serializer fields once per class, not per instance.

    The stock one re-reads the model (field types, choices, validators, help texts) for every serializer it
    makes: a third of the CPU of filing a complaint. The result depends on the class alone, so it is built
    once and every instance gets fresh copies, as DRF already copies declared fields. Not for a subclass whose
    ``get_fields`` depends on the request.
    """

    def get_fields(self):
        cls = type(self)
        if "_fields_once" not in cls.__dict__:
            cls._fields_once = super().get_fields()
        return copy.deepcopy(cls._fields_once)


class NulSafeSlugRelatedField(serializers.SlugRelatedField):
    """DRF's ``SlugRelatedField`` that refuses NUL characters before the lookup.

    PostgreSQL cannot compare text containing NUL (the query fails: a 500); no slug or username has one.
    """

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def domain_error_body(exc: DomainError) -> dict[str, str]:
    body = {"detail": str(exc.message), "code": exc.code}
    if exc.link:
        body["link"] = exc.link
    return body


def validation_error_body(exc: DjangoValidationError) -> dict[str, list[str]]:
    """Field messages like a DRF serializer's: ``{"field": [...]}``, model-wide ones as non-field errors."""
    non_field_key = api_settings.NON_FIELD_ERRORS_KEY
    if hasattr(exc, "error_dict"):
        return {
            (non_field_key if field == "__all__" else field): [str(m) for m in messages]
            for field, messages in exc.message_dict.items()
        }
    return {non_field_key: [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Map service errors to HTTP answers; leave everything DRF already knows to DRF."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(domain_error_body(exc), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(validation_error_body(exc), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response(
            {"detail": _("The request body is too large."), "code": "too_large"},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    # APIException, Http404 and PermissionDenied: DRF's own mapping. Anything else returns None → 500,
    # which is a bug to fix, not an answer to dress up.
    return drf_exception_handler(exc, context)


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``Authorization: Api-Key <key>`` (platforms.authentication) in the OpenAPI schema.

    Registered on import; portal/api_urls.py imports this module, so it exists before any schema is built.
    """

    target_class = "platforms.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A platform's API key: `Api-Key <key>`. Acts as an agent of that platform.",
        }


def drop_parameter_titles(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook: no ``title`` on a parameter's schema.

    django-filter gives each filter's label (translated: "状态") as the title, and client generators name the
    parameter's type after it (``V1ComplaintsList状态``); without it they use the operation and parameter names.
    """
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                schema.pop("title", None)
                schema.get("items", {}).pop("title", None)  # a list parameter (?status=a&status=b)
    return result

import pytest
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework.exceptions import NotAuthenticated

from portal.api import exception_handler
from portal.errors import Conflict, DomainError, IllegalTransition


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (DomainError("Amount must be positive."), 400, "invalid"),
        (IllegalTransition("Already resolved."), 409, "illegal_transition"),
        (Conflict("You already have an open complaint for this order."), 409, "conflict"),
        (DomainError("Too late.", code="deadline_passed"), 400, "deadline_passed"),
    ],
)
def test_domain_errors_answer_with_their_status_and_code(error, status, code):
    response = exception_handler(error, {})

    assert response.status_code == status
    assert response.data == {"detail": error.message, "code": code}


def test_domain_error_link_is_included_when_given():
    error = Conflict("Duplicate.", link="/api/v1/complaints/7/")

    response = exception_handler(error, {})

    assert response.data["link"] == "/api/v1/complaints/7/"


def test_django_validation_error_with_fields_answers_400_per_field():
    error = DjangoValidationError({"amount": ["Too large."], "__all__": ["Dates are inconsistent."]})

    response = exception_handler(error, {})

    assert response.status_code == 400
    assert response.data == {"amount": ["Too large."], "non_field_errors": ["Dates are inconsistent."]}


def test_django_validation_error_without_fields_answers_400_non_field():
    response = exception_handler(DjangoValidationError(["First.", "Second."]), {})

    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["First.", "Second."]}


@pytest.mark.parametrize(
    ("error", "status"),
    [(Http404(), 404), (PermissionDenied(), 403), (NotAuthenticated(), 401), (RequestDataTooBig(), 413)],
)
def test_framework_errors_keep_their_http_meaning(error, status):
    assert exception_handler(error, {}).status_code == status


def test_unexpected_errors_are_left_to_django():
    assert exception_handler(RuntimeError("bug"), {}) is None

"""Helpers shared by the apps' pages: who may open a page, and how a service's errors reach a form."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from portal.access import is_platform_staff, manages_platform


class PlatformStaffRequiredMixin(LoginRequiredMixin):
    """Logged-in platform staff only; consumers and regulators are refused (403), strangers sent to log in."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated and not is_platform_staff(request.user):
            raise PermissionDenied(_("Only platform staff can use this page."))
        return super().dispatch(request, *args, **kwargs)


class ManagerRequiredMixin(PlatformStaffRequiredMixin):
    """Managers of a platform only; agents get 403."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_authenticated and is_platform_staff(user) and not manages_platform(user):
            raise PermissionDenied(_("Only managers of the platform can do that."))
        return super().dispatch(request, *args, **kwargs)


def add_service_errors(form: Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one, else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)

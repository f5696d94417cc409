"""The platform workspace: every staff member's profile and overview; managers also manage staff, API keys
and webhooks. Views parse input and call platforms.services; reads are scoped to the user's platform.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from complaints.models import OPEN_STATUSES, PLATFORM_TURN_STATUSES
from complaints.selectors import complaints_visible_to
from complaints.views_platform import PlatformStaffRequiredMixin, add_service_errors
from portal.models import Role

from . import services
from .forms import ApiKeyForm, StaffInviteForm, WebhookForm
from .models import ApiKey
from .selectors import platform_webhooks, webhook_delivery_log

DELIVERY_PAGE_SIZE = 25


def platform_staff(user):
    return get_user_model().objects.filter(role=Role.PLATFORM_STAFF, platform_id=user.platform_id).order_by(
        "-is_active", "username"
    )


def platform_api_keys(user):
    return ApiKey.objects.filter(platform_id=user.platform_id).select_related("created_by")


class ManagerRequiredMixin(PlatformStaffRequiredMixin):
    """Managers of a platform only; agents get 403."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.is_platform_staff and not user.is_platform_manager:
            raise PermissionDenied(_("Only managers of the platform can do that."))
        return super().dispatch(request, *args, **kwargs)


class WorkspaceHomeView(PlatformStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        overview = complaints_visible_to(user).aggregate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            awaiting_answer=Count("pk", filter=Q(status__in=PLATFORM_TURN_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, is_overdue=True)),
            unassigned=Count("pk", filter=Q(status__in=PLATFORM_TURN_STATUSES, assigned_to__isnull=True)),
            mine=Count("pk", filter=Q(status__in=OPEN_STATUSES, assigned_to=user)),
        )
        return render(request, "platforms/workspace/home.html", {
            "platform": user.platform, "overview": overview, "staff": platform_staff(user),
        })


class StaffInviteView(ManagerRequiredMixin, View):
    template_name = "platforms/workspace/staff_invite.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, self.template_name, {"form": StaffInviteForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = StaffInviteForm(request.POST)
        if form.is_valid():
            try:
                member = services.staff_invite(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                text = _("%(name)s was invited; the e-mail to set a password is on its way.")
                messages.success(request, text % {"name": member.get_username()})
                return redirect("workspace-home")
        return render(request, self.template_name, {"form": form})


class StaffDeactivateView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            member = services.staff_deactivate(by=request.user, user_id=pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            text = _("%(name)s can no longer log in; their open complaints are unassigned.")
            messages.success(request, text % {"name": member.get_username()})
        return redirect("workspace-home")


@method_decorator(never_cache, name="dispatch")
class ApiKeysView(ManagerRequiredMixin, View):
    """List and create keys. A new key is shown on the answer to the POST only: it is never stored."""

    template_name = "platforms/workspace/api_keys.html"

    def render_list(self, request: HttpRequest, form: ApiKeyForm) -> HttpResponse:
        return render(request, self.template_name, {"form": form, "keys": platform_api_keys(request.user)})

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_list(request, ApiKeyForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                api_key, raw_key = services.api_key_create(by=request.user, name=form.cleaned_data["name"])
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return render(request, "platforms/workspace/api_key_created.html",
                              {"api_key": api_key, "raw_key": raw_key})
        return self.render_list(request, form)


class ApiKeyRevokeView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        api_key = services.api_key_revoke(by=request.user, key_id=pk)
        messages.success(request, _("Key %(prefix)s… is revoked.") % {"prefix": api_key.prefix})
        return redirect("workspace-api-keys")


@method_decorator(never_cache, name="dispatch")
class WebhooksView(ManagerRequiredMixin, View):
    """List and register webhooks. The signing secret is shown on the answer to the POST only."""

    template_name = "platforms/workspace/webhooks.html"

    def render_list(self, request: HttpRequest, form: WebhookForm) -> HttpResponse:
        context = {"form": form, "webhooks": platform_webhooks(request.user)}
        return render(request, self.template_name, context)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_list(request, WebhookForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = WebhookForm(request.POST)
        if form.is_valid():
            try:
                endpoint = services.webhook_register(by=request.user, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return render(request, "platforms/workspace/webhook_created.html", {"webhook": endpoint})
        return self.render_list(request, form)


class WebhookDeactivateView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = services.webhook_deactivate(by=request.user, webhook_id=pk)
        messages.success(request, _("Nothing more will be sent to %(url)s.") % {"url": endpoint.url})
        return redirect("workspace-webhooks")


class WebhookTestView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            services.webhook_send_test(by=request.user, webhook_id=pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("workspace-webhooks")
        messages.success(request, _("A test delivery was queued; its result appears below."))
        return redirect("workspace-webhook-deliveries", pk=pk)


class WebhookDeliveriesView(ManagerRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = get_object_or_404(platform_webhooks(request.user), pk=pk)
        page = Paginator(webhook_delivery_log(endpoint), DELIVERY_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        context = {"webhook": endpoint, "page": page}
        return render(request, "platforms/workspace/webhook_deliveries.html", context)

"""The platform workspace's pages that show complaint data: the home page (profile, staff and the platform's
complaint counts) and, for managers, a webhook's delivery log and its test ping. Registering, listing and
deactivating webhooks, staff and API keys are the platforms app's pages (``platforms.views_workspace``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from platforms.selectors import platform_staff, platform_webhooks
from portal.web import ManagerRequiredMixin, PlatformStaffRequiredMixin

from .selectors import webhook_delivery_log, workspace_overview
from .webhooks import webhook_send_test

DELIVERY_PAGE_SIZE = 25


class WorkspaceHomeView(PlatformStaffRequiredMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        overview = workspace_overview(user)
        return render(
            request,
            "complaints/workspace/home.html",
            {
                "platform": user.platform,
                "overview": overview,
                "staff": platform_staff(user),
            },
        )


class WebhookTestView(ManagerRequiredMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            webhook_send_test(by=request.user, webhook_id=pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("platforms:workspace-webhooks")
        messages.success(request, _("A test delivery was queued; its result appears below."))
        return redirect("complaints:workspace-webhook-deliveries", pk=pk)


class WebhookDeliveriesView(ManagerRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = get_object_or_404(platform_webhooks(request.user), pk=pk)
        page = Paginator(webhook_delivery_log(endpoint), DELIVERY_PAGE_SIZE).get_page(request.GET.get("page"))
        context = {"webhook": endpoint, "page": page}
        return render(request, "complaints/workspace/webhook_deliveries.html", context)

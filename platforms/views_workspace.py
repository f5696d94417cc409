"""The platform workspace: managers manage staff, API keys and webhooks. Views parse input and call
platforms.services; reads are scoped to the user's platform. The pages that show complaint data (the home page
with its counts, a webhook's deliveries and its test) are the complaints app's (``complaints.views_workspace``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from portal.web import ManagerRequiredMixin, add_service_errors

from . import services
from .forms import ApiKeyForm, StaffInviteForm, WebhookForm
from .selectors import platform_api_keys, platform_webhooks


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
                return redirect("complaints:workspace-home")
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
        return redirect("complaints:workspace-home")


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
        return redirect("platforms:workspace-api-keys")


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
        return redirect("platforms:workspace-webhooks")

"""Pages that span the apps: home, accounts, error pages."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, HttpResponseServerError
from django.shortcuts import redirect, render, resolve_url
from django.template import loader
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.generic import FormView, TemplateView

from portal.demo import DEMO_ACCOUNTS
from portal.forms import ConsumerRegistrationForm

logger = logging.getLogger(__name__)


class HomeView(TemplateView):
    template_name = "portal/home.html"


def landing_page(user) -> str:
    """The page a user's work starts on (``PORTAL_LANDING_PAGES`` by role); the home page for anyone else."""
    return settings.PORTAL_LANDING_PAGES.get(getattr(user, "role", ""), settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Django's login (django-axes counts failures); lists the demo accounts on demo installs."""

    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return resolve_url(landing_page(self.request.user))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.PORTAL_SHOW_DEMO_LOGINS:
            context["demo_logins"] = [
                {"username": username, "role": role, "password": settings.PORTAL_DEMO_PASSWORD}
                for username, role in DEMO_ACCOUNTS
            ]
        return context


class RegisterView(FormView):
    """Consumer sign-up; the new account is logged in straight away."""

    template_name = "registration/register.html"
    form_class = ConsumerRegistrationForm
    success_url = reverse_lazy(settings.PORTAL_LANDING_PAGES["consumer"])

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            return redirect(landing_page(request.user))
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: ConsumerRegistrationForm) -> HttpResponse:
        user = form.save()
        login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, _("Welcome! Your account is ready."))
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self) -> str:
        next_url = self.request.POST.get("next") or self.request.GET.get("next")
        if next_url and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return next_url
        return str(self.success_url)


# --- Error pages (wired as handler403 / handler404 / handler500 in portal/urls.py) ---------------------


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", {"request_path": request.path}, status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    """Render without the request context: whatever broke (database, session, a context processor) may
    break again while rendering, and the error page itself must not fail."""
    try:
        body = loader.get_template("500.html").render({"is_error_page": True})
    except Exception:  # the last line of defence: never answer a 500 with another exception
        logger.exception("500.html failed to render")
        body = "<!doctype html><title>Server error</title><h1>Server error</h1>"
    return HttpResponseServerError(body)

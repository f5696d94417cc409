"""Notification pages of every signed-in user: the list, opening one, marking all read, and the preferences."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import FormView, ListView

from portal import notifications as notes
from portal.models import NotificationChannel
from portal.web import add_service_errors


class NotificationListView(LoginRequiredMixin, ListView):
    """The user's notifications, newest first, unread ones marked."""

    template_name = "portal/notifications/list.html"
    context_object_name = "notifications"

    def get_paginate_by(self, queryset) -> int:
        return settings.NOTIFICATIONS_PAGE_SIZE

    def get_queryset(self):
        return notes.notifications_for(self.request.user)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["notifications"] = notes.with_titles(context["notifications"])
        return context


class NotificationOpenView(LoginRequiredMixin, View):
    """Mark a notification read and go to what it is about (a path on this site only)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = notes.notification_read(user=request.user, notification_id=pk)
        link = notification.link
        if link and url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(link)
        return redirect("portal:notifications")


class NotificationReadAllView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        count = notes.notifications_read_all(user=request.user)
        if count:
            messages.success(request, _("All notifications are marked read."))
        return redirect("portal:notifications")


class PreferencesForm(forms.Form):
    """One choice of channel per kind of notification."""

    def __init__(self, *args, initial_channels: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in notes.PREFERENCE_KINDS:
            self.fields[kind] = forms.ChoiceField(
                label=kind.label, choices=NotificationChannel.choices, initial=initial_channels[kind]
            )


class NotificationPreferencesView(LoginRequiredMixin, FormView):
    """How the user hears of each kind of event: by e-mail, in the portal, or both."""

    template_name = "portal/notifications/preferences.html"
    form_class = PreferencesForm

    def get_form_kwargs(self) -> dict:
        return {**super().get_form_kwargs(), "initial_channels": notes.preferences_of(self.request.user)}

    def form_valid(self, form: PreferencesForm) -> HttpResponse:
        try:
            notes.notification_preferences_set(user=self.request.user, channels=form.cleaned_data)
        except forms.ValidationError as error:
            add_service_errors(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Your notification preferences are saved."))
        return redirect(reverse("portal:notification-preferences"))

"""Unreachable-platform alerts in the admin: the alerts of the reader's offices, with the evidence, and the
regulator's two decisions as actions (confirm, dismiss with a reason), each calling its service per alert."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.access import acts_as_regulator
from portal.admin import ReadOnlyAdminMixin
from portal.errors import DomainError

from .models import VanishingAlert
from .vanishing import vanishing_alert_confirm, vanishing_alert_dismiss, vanishing_alerts_visible_to


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("How the platform was found unreachable: site checks, calls, the operator's announcement."),
    )


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(VanishingAlert)
class VanishingAlertAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("platform", "office", "status", "opened_at", "signal_list", "recent_complaints", "decided_at")
    list_filter = ("status",)
    search_fields = ["platform__name", "platform__slug"]
    readonly_fields = ("evidence_json",)
    exclude = ("evidence",)
    actions = ["confirm", "dismiss"]

    def get_queryset(self, request):
        return vanishing_alerts_visible_to(request.user)

    def has_regulate_permission(self, request) -> bool:
        return acts_as_regulator(request.user)

    @admin.display(description=_("signals"))
    def signal_list(self, alert: VanishingAlert) -> str:
        return ", ".join(alert.signals)

    @admin.display(description=_("recent complaints"))
    def recent_complaints(self, alert: VanishingAlert) -> int:
        return alert.evidence.get("surge", {}).get("recent_complaints", 0)

    @admin.display(description=_("evidence"))
    def evidence_json(self, alert: VanishingAlert) -> str:
        return format_html("<pre>{}</pre>", json.dumps(alert.evidence, ensure_ascii=False, indent=1))

    @admin.action(description=_("Confirm: platform unreachable"), permissions=["regulate"])
    def confirm(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            ConfirmForm,
            _("Confirm that the platform can no longer be reached"),
            lambda alert, data: vanishing_alert_confirm(alert_id=alert.pk, by=request.user, reason=data["reason"]),
            lambda count: ngettext("%(count)d platform confirmed.", "%(count)d platforms confirmed.", count),
        )

    @admin.action(description=_("Dismiss with a reason"), permissions=["regulate"])
    def dismiss(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            DismissForm,
            _("Dismiss alerts"),
            lambda alert, data: vanishing_alert_dismiss(alert_id=alert.pk, by=request.user, reason=data["reason"]),
            lambda count: ngettext("%(count)d alert dismissed.", "%(count)d alerts dismissed.", count),
        )

    def _with_form(self, request, queryset, form_class, title, act, done):
        form = form_class(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            succeeded = 0
            for alert in queryset:
                try:
                    act(alert, form.cleaned_data)
                except DomainError as error:
                    self.message_user(request, f"{alert.platform}: {error.message}", messages.ERROR)
                except ValidationError as error:
                    self.message_user(request, f"{alert.platform}: {' '.join(error.messages)}", messages.ERROR)
                except (PermissionDenied, Http404) as error:
                    self.message_user(request, f"{alert.platform}: {error}", messages.ERROR)
                else:
                    succeeded += 1
            if succeeded:
                self.message_user(request, done(succeeded) % {"count": succeeded}, messages.SUCCESS)
            return None
        return TemplateResponse(
            request,
            "admin/regulation/vanishingalert/action_form.html",
            {
                **self.admin_site.each_context(request),
                "title": title,
                "form": form,
                "alerts": queryset[:100],
                "selected_ids": queryset.values_list("pk", flat=True),
                "action": request.POST.get("action"),
                "select_across": request.POST.get("select_across", "0"),
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

"""Regulators' admin for platforms and operators."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Operator, Platform
from .operators import operators_regroup


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "icp_filing_number", "business_licence_code", "domain", "operator",
                    "is_verified", "verified_at")
    list_filter = ("is_verified",)
    search_fields = ["name", "=slug", "icp_filing_number", "domain", "=business_licence_code"]
    list_select_related = ("operator",)
    autocomplete_fields = ("operator",)
    readonly_fields = ("is_verified", "verified_at", "created_at")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("name", "slug", "website", "domain", "contact_email", "operator")}),
        (_("Licences"), {"fields": ("icp_filing_number", "telecom_licence_number", "business_licence_code",
                                    "domicile_code", "payment_account", "is_verified", "verified_at")}),
        (_("Compensation standard"), {"fields": ("compensation_standard", "compensation_hours",
                                                 "reported_monthly_orders")}),
        (None, {"fields": ("created_at",)}),
    )
    actions = ["verify", "regroup_operators"]

    @admin.action(description=_("Mark the licences as verified"), permissions=["change"])
    def verify(self, request, queryset):
        updated = queryset.filter(is_verified=False).update(is_verified=True, verified_at=timezone.now())
        self.message_user(request, ngettext("%(count)d platform verified.", "%(count)d platforms verified.",
                                            updated) % {"count": updated}, messages.SUCCESS)

    @admin.action(description=_("Regroup all platforms into operators (shared licence, domain or account)"),
                  permissions=["change"])
    def regroup_operators(self, request, queryset):
        result = operators_regroup()
        self.message_user(request, _(
            "Operators regrouped across all platforms: %(groups)d groups, %(created)d operators created, "
            "%(deleted)d removed, %(moved)d platforms moved."
        ) % {"groups": result.groups, "created": result.operators_created,
             "deleted": result.operators_deleted, "moved": result.platforms_moved}, messages.SUCCESS)


class OperatorPlatformInline(admin.TabularInline):
    model = Platform
    fields = ("name", "slug", "icp_filing_number", "business_licence_code", "domain", "payment_account")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Operator)
class OperatorAdmin(admin.ModelAdmin):
    list_display = ("name", "business_licence_code", "created_at")
    search_fields = ["name", "=business_licence_code", "platforms__name"]
    inlines = [OperatorPlatformInline]

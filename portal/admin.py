"""Admin for accounts, the access log and the e-mail outbox; changelist plumbing shared by the apps' admins.

Regulators create platform staff and other regulators here. They cannot hand out superuser rights, groups or
single permissions: what a person may do follows from the role, and the admin keeps ``is_staff`` and the
regulators group in step with it.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm, UserCreationForm
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.access import is_national_supervisor, is_regulator, is_superuser, office_scope, works_in_admin

from .models import AccessLog, Office, OutboxMessage, Role, User
from .roles import ensure_regulator_group

ROLE_FIELDS = ("role", "platform", "staff_role", "office")


class ReadOnlyAdminMixin:
    """Shown, never edited: no add, change or delete, for superusers too (change views render read-only)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EstimatedCountPaginator(Paginator):
    """Never runs COUNT(*) over the whole table.

    Unfiltered on PostgreSQL the planner's row estimate (``reltuples``) is used; otherwise rows are counted
    up to ``COUNT_CAP`` only, so page links stop there and a narrower filter finds the rest.
    """

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                               [queryset.model._meta.db_table])
                row = cursor.fetchone()
            if row and row[0] > self.COUNT_CAP:
                return row[0]
        return queryset.order_by()[: self.COUNT_CAP].count()


class RoleFieldsMixin(forms.ModelForm):
    """Field errors for the role rules the ``user_platform_iff_staff`` constraint enforces in the database."""

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if role is None:
            return cleaned
        if role == Role.PLATFORM_STAFF:
            if not cleaned.get("platform"):
                self.add_error("platform", _("Platform staff belong to a platform: choose it."))
            if not cleaned.get("staff_role"):
                self.add_error("staff_role", _("Choose whether this person is an agent or a manager."))
        else:
            if cleaned.get("platform"):
                self.add_error("platform", _("Only platform staff belong to a platform."))
            if cleaned.get("staff_role"):
                self.add_error("staff_role", _("Only platform staff have a staff role."))
        if cleaned.get("office") and role != Role.REGULATOR:
            self.add_error("office", _("Only regulators belong to an office."))
        return cleaned


class PortalUserCreationForm(RoleFieldsMixin, UserCreationForm):
    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username", "email", *ROLE_FIELDS)


class PortalUserChangeForm(RoleFieldsMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "password", "first_name", "last_name", "email", "phone", "preferred_language",
                  *ROLE_FIELDS, "is_active", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    list_display = ("username", "email", "role", "platform", "staff_role", "office", "is_active", "last_login")
    list_filter = ("role", "staff_role", "is_active", "is_staff")
    list_select_related = ("platform", "office")
    search_fields = ["username", "email", "first_name", "last_name", "=platform__slug"]
    autocomplete_fields = ("platform",)
    show_full_result_count = False
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "email", *ROLE_FIELDS, "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined", "is_staff")

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        fieldsets = [
            (None, {"fields": ("username", "password")}),
            (_("Personal info"),
             {"fields": ("first_name", "last_name", "email", "phone", "preferred_language")}),
            (_("Role"), {"fields": (*ROLE_FIELDS, "is_active", "is_staff")}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        ]
        if is_superuser(request.user):
            fieldsets.append((_("Permissions"), {"fields": ("is_superuser", "groups", "user_permissions")}))
        return fieldsets

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_superuser(request.user):
            return queryset
        # A regulator must not be able to take over (or lock out) the accounts that run the site, nor those of
        # regulators outside their office scope (a sibling's or a higher office's).
        queryset = queryset.filter(is_superuser=False)
        scope = office_scope(request.user)
        if scope.everything:
            return queryset
        return queryset.filter(~Q(role=Role.REGULATOR) | (Q(role=Role.REGULATOR) & scope.filter("office")))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "office":
            # A regulator places people in their own office or below it, never above or beside.
            kwargs["queryset"] = office_scope(request.user).offices()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        # Only regulators work in the admin; everyone else loses access the moment their role changes.
        obj.is_staff = works_in_admin(obj)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        group = ensure_regulator_group()
        if is_regulator(form.instance):
            form.instance.groups.add(group)
        else:
            form.instance.groups.remove(group)


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    """The office tree. Every regulator reads their office and those below it; only the national supervisor
    (and superusers) add, change or remove offices, since an office's place in the tree decides who sees what."""

    list_display = ("tree_name", "division_code", "level", "short_name", "penalty_number_prefix",
                    "is_receiving_centre")
    list_filter = ("level", "is_receiving_centre")
    search_fields = ["^division_code", "name", "short_name"]
    ordering = ("path",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("path",)
    fieldsets = (
        (None, {"fields": ("parent", "level", "division_code", "path", "is_receiving_centre")}),
        (_("Names"), {"fields": ("name", "short_name", "penalty_number_prefix")}),
        (_("Contact"), {"fields": ("address", "phone", "email")}),
    )

    @admin.display(description=_("office"), ordering="path")
    def tree_name(self, office: Office) -> str:
        return format_html('<span style="padding-left:{}em">{}</span>', 1.5 * office.depth, office.name)

    def get_queryset(self, request):
        return office_scope(request.user).offices()

    def _may_edit(self, request) -> bool:
        return is_national_supervisor(request.user)

    def has_add_permission(self, request) -> bool:
        return self._may_edit(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_edit(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._may_edit(request) and super().has_delete_permission(request, obj)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_id", "detail", "ip_address")
    list_filter = ("action", "object_type", "created_at")
    search_fields = ["=actor_label", "=object_id", "detail"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("template", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("template", ("sent_at", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = EstimatedCountPaginator

"""The regulator group: what regulators may do in the admin (everything visible, few things editable)."""

from django.contrib.auth.models import Group, Permission

REGULATOR_GROUP = "regulators"
# Regulators only view complaints in the admin; they act on them through services (admin actions).
REGULATOR_EDITABLE = {
    ("platforms", "platform"),
    ("platforms", "operator"),
    ("regulation", "penalty"),
    ("complaints", "calendarexception"),
    ("portal", "user"),
    ("portal", "office"),  # the national supervisor only: portal.admin.OfficeAdmin
}
# A wrong calendar correction must be removable; every other record is kept (penalties end by appeal).
REGULATOR_DELETABLE = {("complaints", "calendarexception")}


def ensure_regulator_group() -> Group:
    group, _created = Group.objects.get_or_create(name=REGULATOR_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label__in=["portal", "platforms", "complaints", "regulation"]
    ).select_related("content_type")
    wanted = []
    for permission in permissions:
        model = (permission.content_type.app_label, permission.content_type.model)
        if (
            permission.codename.startswith("view_")
            or (model in REGULATOR_EDITABLE and not permission.codename.startswith("delete_"))
            or model in REGULATOR_DELETABLE
        ):
            wanted.append(permission)
    group.permissions.set(wanted)
    return group


def make_regulator(user) -> None:
    user.role = "regulator"
    user.is_staff = True
    user.platform = None
    user.staff_role = ""
    user.save()
    user.groups.add(ensure_regulator_group())

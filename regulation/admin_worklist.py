"""The worklist's sections as a filter of the complaint admin (``?worklist=<key>``): the count on the worklist
page links here, and both are computed by the same function of ``regulation.worklist``."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .worklist import SECTIONS, section_complaints


class WorklistFilter(admin.SimpleListFilter):
    title = _("worklist")
    parameter_name = "worklist"

    def lookups(self, request, model_admin):
        return [(section.key, section.title) for section in SECTIONS]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return section_complaints(self.value(), queryset, timezone.now())

"""What the penalty issuance page offers before anything is issued: the platforms a regulator may choose from,
the facts drafted from the cited complaints, and the cited complaints that were found not upheld.

Reads only: issuing is ``regulation.penalties.penalty_issue``, which checks everything again.
"""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from complaints.calendar import SHANGHAI
from complaints.models import Complaint, Finding
from complaints.selectors import complaints_visible_to
from platforms.models import Platform
from portal.access import office_scope
from portal.models import OfficeLevel
from portal.offices import division_candidates

# How much of the consumer's own account each complaint contributes to the drafted facts.
DESCRIPTION_CHARS = 200

# The domicile codes an office's jurisdiction covers (GB/T 2260: province 2 digits, city 4, county all 6).
DOMICILE_PREFIX_LENGTH = {OfficeLevel.PROVINCE: 2, OfficeLevel.CITY: 4, OfficeLevel.COUNTY: 6}


def penalty_platforms_for(user) -> QuerySet[Platform]:
    """The registered platforms ``user`` may issue a decision against: those domiciled in their jurisdiction
    (Order 121 Art. 13 gives it the complaints about them) and those complained about in it. Every platform for
    the national scope; none for a regulator without an office (fail closed)."""
    scope = office_scope(user)
    if scope.everything:
        return Platform.objects.all()
    if scope.is_empty:
        return Platform.objects.none()
    office = scope.office
    prefix = office.division_code[: DOMICILE_PREFIX_LENGTH.get(office.level, 6)]
    complained_about = complaints_visible_to(user).filter(platform__isnull=False).values("platform_id")
    return Platform.objects.filter(Q(domicile_code__startswith=prefix) | Q(pk__in=complained_about))


def grouped_platform_choices(user, platforms: QuerySet[Platform]) -> list[tuple[str, list[tuple[str, str]]]]:
    """``platforms`` as <optgroup>s: one per office of the regulator's scope that the domicile falls to, then the
    platforms domiciled elsewhere. Values are slugs. Two queries."""
    offices = {
        office.division_code: office
        for office in office_scope(user).offices().only("division_code", "name", "short_name")
    }
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    elsewhere: list[tuple[str, str]] = []
    for platform in platforms.only("slug", "name", "domicile_code").order_by("name", "slug"):
        office = next((offices[code] for code in division_candidates(platform.domicile_code) if code in offices), None)
        label = f"{platform.name} ({platform.slug})"
        if office is None:
            elsewhere.append((platform.slug, label))
        else:
            groups[office.short_name or office.name].append((platform.slug, label))
    choices = [("", "———")]
    choices += [(_("Domiciled in the area of %(office)s") % {"office": name}, groups[name]) for name in sorted(groups)]
    if elsewhere:
        choices.append((_("Domiciled elsewhere, complained about here"), elsewhere))
    return choices


def _local_date(moment) -> str:
    return timezone.localtime(moment, SHANGHAI).date().isoformat() if moment else "—"


def facts_from_complaints(complaints: Iterable[Complaint]) -> str:
    """A draft of the decision's facts: per platform, one numbered paragraph per cited complaint (reference,
    order, amount, payment, what happened, dates and where it stands), for the regulator to edit."""
    by_platform: dict[str, list[Complaint]] = defaultdict(list)
    for complaint in complaints:
        by_platform[complaint.platform_display_name].append(complaint)
    paragraphs = []
    for platform, cited in by_platform.items():
        lines = [
            ngettext(
                "%(count)d complaint about %(platform)s:",
                "%(count)d complaints about %(platform)s:",
                len(cited),
            )
            % {"count": len(cited), "platform": platform}
        ]
        lines += [_complaint_facts(index, complaint) for index, complaint in enumerate(cited, start=1)]
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _complaint_facts(index: int, complaint: Complaint) -> str:
    outcome = complaint.get_status_display()
    if complaint.finding:
        outcome = f"{outcome} ({complaint.get_finding_display()})"
    return _(
        "%(index)d. %(reference)s: order %(order)s, %(product)s, ¥%(amount)s paid on %(paid)s by "
        "%(channel)s; filed on %(filed)s. %(problem)s: %(description)s Now: %(outcome)s."
    ) % {
        "index": index,
        "reference": complaint.reference,
        "order": complaint.order_number,
        "product": complaint.product_name,
        "amount": complaint.amount,
        "paid": _local_date(complaint.paid_at),
        "channel": complaint.get_payment_channel_display(),
        "filed": _local_date(complaint.created_at),
        "problem": complaint.get_problem_display(),
        "description": Truncator(complaint.description.strip()).chars(DESCRIPTION_CHARS),
        "outcome": outcome,
    }


def not_upheld(complaints: Iterable[Complaint]) -> list[Complaint]:
    """The cited complaints a regulator closed as not upheld: citing them is allowed, but worth a second look."""
    return [complaint for complaint in complaints if complaint.finding == Finding.NOT_UPHELD]

"""The office tree as a scope: which offices' cases a regulator reads, and where a complaint goes on filing.

``portal.access.office_scope(user)`` says whose cases a user may read; the ``OfficeScope`` it returns turns that
into one filter on any model with an office column (``scope.filter("office")``, or ``"complaint__office"``),
so complaints, penalties and statistics are narrowed by the same rule. ``portal.access.office_ids_in_scope(user)``
gives the same as a subquery of office ids.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from .models import Office, OfficeLevel


@dataclass(frozen=True)
class OfficeScope:
    """Everything (the national supervisor, a superuser), one office and all below it, or nothing at all."""

    office: Office | None = None
    everything: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.everything and self.office is None

    def office_ids(self) -> QuerySet | None:
        """A subquery of the office ids in scope; None means every office (no filter to apply)."""
        if self.everything:
            return None
        if self.office is None:
            return Office.objects.none().values("pk")
        return self.office.descendant_ids()

    def offices(self) -> QuerySet[Office]:
        """The offices in scope, e.g. the choices a regulator may pick from."""
        if self.everything:
            return Office.objects.all()
        if self.office is None:
            return Office.objects.none()
        return self.office.subtree()

    def filter(self, field: str = "office") -> Q:
        """A condition on ``field`` (a foreign key to Office, possibly across relations) for rows in scope.

        A county office has nothing below it, so its condition is a plain equality the column's index answers.
        A row with no office at all is only ever in the everything scope.
        """
        if self.everything:
            return Q()
        if self.office is None:
            return Q(pk__in=[])
        if self.office.level == OfficeLevel.COUNTY:
            return Q(**{field: self.office.pk})
        return Q(**{f"{field}__in": self.office.descendant_ids()})

    def covers(self, office: Office | None) -> bool:
        """``office`` is inside this scope (no office: only the everything scope covers it)."""
        if self.everything:
            return True
        if self.office is None or office is None:
            return False
        return self.office.covers(office)


EVERYTHING = OfficeScope(everything=True)
NOTHING = OfficeScope()


def division_candidates(division_code: str) -> list[str]:
    """The county, city and province codes of a domicile, nearest first: the offices that may have jurisdiction."""
    if len(division_code) != 6 or not division_code.isdigit():
        return []
    return list(dict.fromkeys([division_code, f"{division_code[:4]}00", f"{division_code[:2]}0000"]))


def receiving_office_for(division_code: str) -> Office | None:
    """The office that receives a complaint about an operator domiciled in ``division_code``. One query.

    Order 121 Art. 13: the county office of the domicile. Where that office is not on the portal, the nearest
    office above it that is (city, then province). With no domicile, or none of those offices, the highest
    receiving centre triages it (Art. 41). None only when the portal has no receiving centre at all.
    """
    candidates = division_candidates(division_code or "")
    offices = list(Office.objects.filter(Q(division_code__in=candidates) | Q(is_receiving_centre=True)))
    by_code = {office.division_code: office for office in offices}
    for code in candidates:
        if code in by_code:
            return by_code[code]
    centres = sorted((office for office in offices if office.is_receiving_centre), key=lambda office: office.path)
    return centres[0] if centres else None


NATIONAL_DIVISION_CODE = "100000"


def national_office() -> Office:
    """The root of the tree, created as the migrations create it if it is missing (an empty database)."""
    office = Office.objects.filter(parent__isnull=True).order_by("pk").first()
    if office is None:
        office = Office.objects.create(
            division_code=NATIONAL_DIVISION_CODE,
            level=OfficeLevel.NATIONAL,
            name="国家市场监督管理总局",
            short_name="市场监管总局",
            penalty_number_prefix="国市监处罚",
            is_receiving_centre=True,
        )
    return office

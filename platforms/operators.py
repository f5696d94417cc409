"""Finding the company behind several platforms: platforms sharing an ICP filing, a unified social credit
code, a domain or a settlement payment account are run by one operator.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction

from .models import Operator, Platform


@dataclass(frozen=True)
class RegroupResult:
    groups: int  # operators that now hold two or more platforms
    operators_created: int
    operators_deleted: int
    platforms_moved: int


@dataclass
class _PlatformRow:
    pk: int
    name: str
    licence_code: str
    operator_id: int | None
    monthly_orders: int


def _normalised_domain(domain: str) -> str:
    domain = domain.strip().lower().rstrip(".")
    return domain.removeprefix("www.")


def _linking_keys(icp: str, licence_code: str, domain: str, payment_account: str) -> list[tuple[str, str]]:
    """The values that tie platforms together, tagged by kind so an ICP number never matches a domain."""
    keys = [
        ("icp", icp.strip().upper()),
        ("licence", licence_code.strip().upper()),
        ("domain", _normalised_domain(domain)),
        ("payment", payment_account.strip()),
    ]
    return [key for key in keys if key[1]]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, item: int) -> int:
        root = self.parent.setdefault(item, item)
        while root != self.parent[root]:
            root = self.parent[root]
        while item != root:  # path compression
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[max(root_a, root_b)] = min(root_a, root_b)


def _components() -> list[list[_PlatformRow]]:
    rows: dict[int, _PlatformRow] = {}
    union_find = _UnionFind()
    first_holder: dict[tuple[str, str], int] = {}
    fields = ("pk", "name", "icp_filing_number", "business_licence_code", "domain", "payment_account",
              "operator_id", "reported_monthly_orders")
    for pk, name, icp, code, domain, payment, operator_id, orders in Platform.objects.values_list(*fields):
        rows[pk] = _PlatformRow(pk, name, code.strip().upper(), operator_id, orders or 0)
        union_find.find(pk)
        for key in _linking_keys(icp, code, domain, payment):
            holder = first_holder.setdefault(key, pk)
            union_find.union(holder, pk)
    groups: dict[int, list[_PlatformRow]] = defaultdict(list)
    for pk, row in rows.items():
        groups[union_find.find(pk)].append(row)
    return list(groups.values())


def _operator_name(group: list[_PlatformRow]) -> tuple[str, str]:
    """(name, licence code) for a new operator: the largest platform's name, else the shared licence code."""
    codes = Counter(row.licence_code for row in group if row.licence_code)
    licence_code = codes.most_common(1)[0][0] if codes else ""
    largest = max(group, key=lambda row: (row.monthly_orders, -row.pk))
    return (largest.name or licence_code)[:200], licence_code


@transaction.atomic
def operators_regroup() -> RegroupResult:
    """Group every platform with the platforms it shares a licence, domain or payment account with.

    Existing operators are kept where possible: each group keeps the operator most of its platforms already
    had (largest groups choose first), so a regulator's naming survives a regroup. A platform linked to
    nobody keeps its own operator, unless a group took it. Operators left without platforms are removed.
    Writes are one UPDATE per group whose platforms change, and one INSERT for all new operators.
    """
    components = sorted(_components(), key=lambda group: (-len(group), min(row.pk for row in group)))
    operators_before = {row.operator_id for group in components for row in group if row.operator_id}
    claimed: set[int] = set()
    chosen: list[tuple[list[_PlatformRow], int | None]] = []
    to_create: list[tuple[list[_PlatformRow], Operator]] = []
    for group in components:
        votes = Counter(
            row.operator_id for row in group if row.operator_id and row.operator_id not in claimed
        )
        if votes:
            operator_id = min(votes, key=lambda pk: (-votes[pk], pk))
            claimed.add(operator_id)
            chosen.append((group, operator_id))
        elif len(group) > 1:
            name, licence_code = _operator_name(group)
            to_create.append((group, Operator(name=name, business_licence_code=licence_code)))
        else:
            chosen.append((group, None))
    Operator.objects.bulk_create([operator for _group, operator in to_create])
    chosen += [(group, operator.pk) for group, operator in to_create]

    moved = 0
    for group, operator_id in chosen:
        changed = [row.pk for row in group if row.operator_id != operator_id]
        if changed:
            moved += Platform.objects.filter(pk__in=changed).update(operator_id=operator_id)
    emptied = operators_before - claimed
    deleted, _detail = Operator.objects.filter(pk__in=emptied, platforms__isnull=True).delete()
    return RegroupResult(
        groups=sum(1 for group, operator_id in chosen if operator_id and len(group) > 1),
        operators_created=len(to_create),
        operators_deleted=deleted,
        platforms_moved=moved,
    )

"""Profit-seeking signals (Order 121 Art. 17): facts a regulator weighs when deciding whether a complaint falls
under Art. 16(3) (not for living consumption, or no consumer dispute shown). Not Django signals.

Each signal has a code, the article it comes from and the complaints behind it. A signal never refuses a
complaint: Art. 17 lists factors the office "may consider", so the regulator decides, on the ground ``art16_3``,
and the refusal records ``signals_snapshot`` of what was weighed. docs/signals.md gives the formulas.

``complaint_signals`` computes them for a page of complaints in five queries whatever its size (the page, then one
per kind of signal), reading only complaints the regulator may see, so another office's complaints never count.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, TextChoices
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint, EvidenceKind, Party, Problem
from complaints.selectors import complaints_visible_to, evidence_visible_to


class SignalCode(TextChoices):
    REPEAT_CONSUMER = "repeat_consumer", gettext_lazy("One consumer, many complaints in a short time")
    COORDINATED_FILING = "coordinated_filing", gettext_lazy("Near-identical complaints from several accounts")
    SHARED_CONTACT = "shared_contact", gettext_lazy("Several accounts share one phone number or e-mail address")
    NO_PROOF_OF_PURCHASE = "no_proof_of_purchase", gettext_lazy("No proof of purchase")


# Order 121 Art. 17: the item of the article each signal comes from.
ARTICLES = {
    SignalCode.REPEAT_CONSUMER: "令第121号第十七条第（二）项",
    SignalCode.COORDINATED_FILING: "令第121号第十七条第（二）项",
    SignalCode.SHARED_CONTACT: "令第121号第十七条第（四）项",
    SignalCode.NO_PROOF_OF_PURCHASE: "令第121号第十七条第（三）项",
}

# What a repeat is counted over, in order of preference when several reach the threshold equally.
REPEAT_DIMENSIONS = ("platform", "product", "problem")
SHINGLE_SIZE = 3


@dataclass(frozen=True)
class CitedComplaint:
    id: int
    reference: str
    created_at: datetime


@dataclass(frozen=True)
class Signal:
    """One signal of one complaint: its code, the numbers that made it fire, the complaints behind it."""

    code: str
    facts: dict
    complaints: tuple[CitedComplaint, ...] = ()

    @property
    def article(self) -> str:
        return ARTICLES[self.code]

    @property
    def label(self) -> str:
        return str(SignalCode(self.code).label)

    @property
    def explanation(self) -> str:
        """The signal in words, in the active language."""
        return EXPLAINERS[self.code](self.facts)


@dataclass
class _Row:
    """The columns of a complaint the signals read."""

    id: int
    reference: str
    consumer_id: int
    platform_id: int | None
    product: str
    problem: str
    created_at: datetime
    payment_reference: str = ""
    description: str = ""
    phone: str = ""
    email: str = ""
    shingles: frozenset = field(default_factory=frozenset)

    def cited(self) -> CitedComplaint:
        return CitedComplaint(self.id, self.reference, self.created_at)


# --- the public functions ---------------------------------------------------------------------------------


def complaint_signals(complaints: Iterable[Complaint | int], *, by) -> dict[int, list[Signal]]:
    """The signals of each complaint (given as objects or ids) that ``by`` may see, keyed by complaint id.

    Five queries for any number of complaints; complaints outside ``by``'s scope are left out.
    """
    ids = [getattr(item, "pk", item) for item in complaints]
    within = complaints_visible_to(by)
    page = [
        _Row(
            id=values["pk"],
            reference=values["reference"],
            consumer_id=values["consumer_id"],
            platform_id=values["platform_id"],
            product=_normalised_product(values["product_name"]),
            problem=values["problem"],
            created_at=values["created_at"],
            payment_reference=values["payment_reference"].strip(),
            description=values["description"],
            phone=values["consumer__phone"].strip(),
            email=values["consumer__email"].strip(),
        )
        for values in within.filter(pk__in=ids).values(
            "pk", "reference", "consumer_id", "platform_id", "product_name", "problem", "created_at",
            "payment_reference", "description", "consumer__phone", "consumer__email",
        )
    ]  # fmt: skip
    found: dict[int, list[Signal]] = {row.id: [] for row in page}
    if not page:
        return found
    thresholds = settings.PORTAL_SIGNALS
    for signal_of in (
        _repeat_consumer_signals(page, within, thresholds),
        _coordinated_filing_signals(page, within, thresholds),
        _shared_contact_signals(page, within, thresholds),
        _no_proof_of_purchase_signals(page, by),
    ):
        for complaint_id, signal in signal_of.items():
            found[complaint_id].append(signal)
    return found


def signals_snapshot(complaint: Complaint, *, by) -> list[dict]:
    """What a refusal on Art. 16(3) records of the signals it weighed, for the refusal event's data.

    The event is in the timeline the consumer and the platform read, so the snapshot holds codes, articles and
    numbers, and only a digest of the other complaints behind each signal (never their references or anyone's
    contact details): a regulator can later show which complaints were weighed by recomputing the digest.
    """
    return [
        {
            "code": signal.code,
            "article": signal.article,
            "facts": signal.facts,
            "complaint_count": len(signal.complaints),
            "complaints_sha256": references_digest(signal.complaints),
        }
        for signal in complaint_signals([complaint.pk], by=by).get(complaint.pk, [])
    ]


def references_digest(complaints: Iterable[CitedComplaint]) -> str:
    """SHA-256 of the sorted references, joined by newlines."""
    return hashlib.sha256("\n".join(sorted(c.reference for c in complaints)).encode()).hexdigest()


# --- Art. 17(2), first half: one consumer, many complaints --------------------------------------------------


def _repeat_consumer_signals(page: list[_Row], within, thresholds: dict) -> dict[int, Signal]:
    window = timedelta(days=thresholds["repeat_window_days"])
    minimum = thresholds["repeat_min_complaints"]
    by_consumer: dict[int, list[_Row]] = defaultdict(list)
    for values in within.filter(
        consumer_id__in={row.consumer_id for row in page},
        created_at__gte=min(row.created_at for row in page) - window,
        created_at__lte=max(row.created_at for row in page) + window,
    ).values("pk", "reference", "consumer_id", "platform_id", "product_name", "problem", "created_at"):
        by_consumer[values["consumer_id"]].append(_summary_row(values))

    found = {}
    for row in page:
        nearby = [other for other in by_consumer[row.consumer_id] if abs(other.created_at - row.created_at) <= window]
        groups = {
            "platform": [o for o in nearby if row.platform_id is not None and o.platform_id == row.platform_id],
            "product": [o for o in nearby if o.product == row.product],
            "problem": [o for o in nearby if o.problem == row.problem],
        }
        dimension = max(REPEAT_DIMENSIONS, key=lambda name: len(groups[name]))  # first of equals wins
        group = groups[dimension]
        if len(group) >= minimum:
            found[row.id] = Signal(
                code=SignalCode.REPEAT_CONSUMER,
                facts={
                    "dimension": dimension,
                    "count": len(group),
                    "threshold": minimum,
                    "window_days": window.days,
                    "problem": row.problem,
                },
                complaints=_others(group, row),
            )
    return found


# --- Art. 17(2), second half: several accounts, near-identical complaints -----------------------------------


def _coordinated_filing_signals(page: list[_Row], within, thresholds: dict) -> dict[int, Signal]:
    window = timedelta(days=thresholds["coordinated_window_days"])
    minimum_accounts = thresholds["coordinated_min_accounts"]
    minimum_similarity = thresholds["coordinated_min_similarity"]
    registered = [row for row in page if row.platform_id is not None]
    if not registered:
        return {}
    # One range of the (platform, created_at) index per platform and problem on the page.
    spans: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    for row in registered:
        spans[(row.platform_id, row.problem)].append(row.created_at)
    condition = Q()
    for (platform_id, problem), moments in spans.items():
        condition |= Q(
            platform_id=platform_id,
            problem=problem,
            created_at__gte=min(moments) - window,
            created_at__lte=max(moments) + window,
        )
    candidates: dict[tuple[int, str, str], list[_Row]] = defaultdict(list)
    for values in within.filter(condition).values(
        "pk", "reference", "consumer_id", "platform_id", "product_name", "problem", "created_at", "description"
    ):
        candidate = _summary_row(values, shingles=shingles(values["description"]))
        candidates[(candidate.platform_id, candidate.problem, candidate.product)].append(candidate)

    found = {}
    for row in registered:
        own = shingles(row.description)
        similar = [
            other
            for other in candidates[(row.platform_id, row.problem, row.product)]
            if abs(other.created_at - row.created_at) <= window and jaccard(own, other.shingles) >= minimum_similarity
        ]
        accounts = {other.consumer_id for other in similar} | {row.consumer_id}
        if len(accounts) >= minimum_accounts:
            found[row.id] = Signal(
                code=SignalCode.COORDINATED_FILING,
                facts={
                    "accounts": len(accounts),
                    "threshold": minimum_accounts,
                    "window_days": window.days,
                    "similarity_percent": round(minimum_similarity * 100),
                },
                complaints=_others(similar, row),
            )
    return found


def normalised_text(text: str) -> str:
    """Casefolded letters and digits only, every run of digits as one ``0``: order numbers, amounts and dates
    differ between copies of one template, so they must not make two copies look different."""
    out: list[str] = []
    for char in text.casefold():
        if char.isdigit():
            if not out or out[-1] != "0":
                out.append("0")
        elif char.isalnum():
            out.append(char)
    return "".join(out)


def shingles(text: str) -> frozenset[str]:
    """The character trigrams of ``normalised_text`` (words are not separated in Chinese, characters are)."""
    text = normalised_text(text)
    if len(text) <= SHINGLE_SIZE:
        return frozenset([text]) if text else frozenset()
    return frozenset(text[i : i + SHINGLE_SIZE] for i in range(len(text) - SHINGLE_SIZE + 1))


def jaccard(first: frozenset, second: frozenset) -> float:
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


# --- Art. 17(4): several accounts, one phone number or address ----------------------------------------------


def _shared_contact_signals(page: list[_Row], within, thresholds: dict) -> dict[int, Signal]:
    minimum = thresholds["shared_contact_min_accounts"]
    phones = {row.phone for row in page if row.phone}
    emails = {row.email for row in page if row.email}
    if not phones and not emails:
        return {}
    by_contact: dict[tuple[str, str], list[_Row]] = defaultdict(list)
    for values in within.filter(Q(consumer__phone__in=phones) | Q(consumer__email__in=emails)).values(
        "pk", "reference", "consumer_id", "platform_id", "product_name", "problem", "created_at",
        "consumer__phone", "consumer__email",
    ):  # fmt: skip
        row = _summary_row(values)
        by_contact[("phone", values["consumer__phone"].strip())].append(row)
        by_contact[("email", values["consumer__email"].strip())].append(row)

    found = {}
    for row in page:
        for contact, value in (("phone", row.phone), ("email", row.email)):
            sharing = by_contact[(contact, value)] if value else []
            accounts = {other.consumer_id for other in sharing}
            if len(accounts) >= minimum:
                found[row.id] = Signal(
                    code=SignalCode.SHARED_CONTACT,
                    facts={"contact": contact, "accounts": len(accounts), "threshold": minimum},
                    complaints=_others([o for o in sharing if o.consumer_id != row.consumer_id], row),
                )
                break  # the phone number first: one signal per complaint
    return found


# --- Art. 17(3): no proof of purchase -----------------------------------------------------------------------


def _no_proof_of_purchase_signals(page: list[_Row], by) -> dict[int, Signal]:
    with_voucher = set(
        evidence_visible_to(by)
        .filter(complaint_id__in=[row.id for row in page], kind=EvidenceKind.PAYMENT_VOUCHER, party=Party.CONSUMER)
        .values_list("complaint_id", flat=True)
    )
    found = {}
    for row in page:
        has_reference, has_voucher = bool(row.payment_reference), row.id in with_voucher
        if not (has_reference and has_voucher):
            found[row.id] = Signal(
                code=SignalCode.NO_PROOF_OF_PURCHASE,
                facts={"payment_reference": has_reference, "payment_voucher": has_voucher},
                complaints=(row.cited(),),
            )
    return found


# --- helpers ----------------------------------------------------------------------------------------------


def _normalised_product(name: str) -> str:
    return "".join(name.split()).casefold()


def _summary_row(values: dict, **extra) -> _Row:
    return _Row(
        id=values["pk"],
        reference=values["reference"],
        consumer_id=values["consumer_id"],
        platform_id=values["platform_id"],
        product=_normalised_product(values["product_name"]),
        problem=values["problem"],
        created_at=values["created_at"],
        **extra,
    )


def _others(rows: Iterable[_Row], row: _Row) -> tuple[CitedComplaint, ...]:
    """The complaints behind a signal of ``row``: the others, oldest first, each once."""
    unique = {other.id: other for other in rows if other.id != row.id}
    return tuple(other.cited() for other in sorted(unique.values(), key=lambda o: (o.created_at, o.id)))


# --- explanations (codes and numbers in the data, words only when shown) -----------------------------------


def _explain_repeat(facts: dict) -> str:
    values = {"count": facts["count"], "days": facts["window_days"], "threshold": facts["threshold"]}
    if facts["dimension"] == "platform":
        text = _(
            "The consumer filed %(count)d complaints against this platform within %(days)d days before or after "
            "this one (the signal starts at %(threshold)d)."
        )
    elif facts["dimension"] == "product":
        text = _(
            "The consumer filed %(count)d complaints about this product within %(days)d days before or after "
            "this one (the signal starts at %(threshold)d)."
        )
    else:
        values["problem"] = Problem(facts["problem"]).label if facts["problem"] in Problem.values else facts["problem"]
        text = _(
            "The consumer filed %(count)d complaints about the problem “%(problem)s” within %(days)d days before "
            "or after this one (the signal starts at %(threshold)d)."
        )
    return text % values


def _explain_coordinated(facts: dict) -> str:
    return _(
        "%(accounts)d accounts filed near-identical complaints against this platform (same problem and product, "
        "descriptions at least %(similarity)d%% alike) within %(days)d days before or after this one (the signal "
        "starts at %(threshold)d accounts)."
    ) % {
        "accounts": facts["accounts"],
        "similarity": facts["similarity_percent"],
        "days": facts["window_days"],
        "threshold": facts["threshold"],
    }


def _explain_shared_contact(facts: dict) -> str:
    values = {"accounts": facts["accounts"], "threshold": facts["threshold"]}
    if facts["contact"] == "phone":
        text = _(
            "%(accounts)d accounts with complaints use this consumer's phone number (the signal starts at "
            "%(threshold)d)."
        )
    else:
        text = _(
            "%(accounts)d accounts with complaints use this consumer's e-mail address (the signal starts at "
            "%(threshold)d)."
        )
    return text % values


def _explain_no_proof(facts: dict) -> str:
    if not facts["payment_reference"] and not facts["payment_voucher"]:
        return _("No payment transaction number was given and no payment voucher was uploaded.")
    if not facts["payment_reference"]:
        return _("No payment transaction number was given.")
    return _("No payment voucher was uploaded by the consumer.")


EXPLAINERS = {
    SignalCode.REPEAT_CONSUMER: _explain_repeat,
    SignalCode.COORDINATED_FILING: _explain_coordinated,
    SignalCode.SHARED_CONTACT: _explain_shared_contact,
    SignalCode.NO_PROOF_OF_PURCHASE: _explain_no_proof,
}

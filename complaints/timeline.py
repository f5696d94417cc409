"""Timeline events in words, for the detail page and the dossier.

An event's data holds codes (a clock, an outcome, what triggered a move) and the parties' own words; the labels
come from the choices, in the reader's language. No sentence stored in an event is parsed back. Events are
immutable and chained, so data written in an older shape is shown as well as it can be, never rewritten.
"""

from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .calendar import SHANGHAI
from .models import ClockKind, Event, EventKind, EvidenceKind, Finding, ResponseOutcome
from .transitions import Trigger


def _choice_label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


def event_summary(event: Event, platform=None) -> str:
    """One readable line about what an event recorded (its full data stays in the hashed chain).

    ``platform``: the complaint's platform, so that its name is shown where the event recorded its slug.
    """
    data = event.data
    match event.kind:
        case EventKind.FILED:
            return _("Order %(order)s: %(product)s, %(amount)s yuan") % {
                "order": data.get("order_number"),
                "product": data.get("product_name"),
                "amount": data.get("amount"),
            }
        case EventKind.FORWARDED | EventKind.TRIAGED:
            slug = data.get("platform")
            name = platform.name if platform is not None and platform.slug == slug else slug
            return _("Platform: %(platform)s") % {"platform": name}
        case EventKind.EVIDENCE_ADDED:
            return _("%(name)s (%(kind)s, %(size)s bytes)") % {
                "name": data.get("file_name"),
                "kind": _choice_label(EvidenceKind.choices, data.get("kind")),
                "size": number_format(data.get("size") or 0, force_grouping=True),
            }
        case EventKind.ANSWERED:
            return f"{_choice_label(ResponseOutcome.choices, data.get('outcome'))}: {data.get('message', '')}"
        case EventKind.INFO_REQUESTED | EventKind.INFO_SUPPLIED:
            return data.get("message", "")
        case EventKind.ACCEPTED:
            if data.get("automatic"):
                return _("Accepted automatically: no reply within 7 days.")
            return _("Rating %(rating)s of 5. %(comment)s") % {
                "rating": data.get("rating"),
                "comment": data.get("comment", ""),
            }
        case EventKind.DEADLINE_REMINDED | EventKind.DEADLINE_BREACHED:
            return _choice_label(ClockKind.choices, data.get("clock"))
        case EventKind.CLOSED | EventKind.REFUSED:
            finding = _choice_label(Finding.choices, data.get("finding"))
            return " ".join(filter(None, [finding, data.get("note")]))
        case EventKind.PUBLICATION_CHANGED:
            if data.get("consent"):
                return _("Consented to publication")
            return _("Withdrew consent to publication")
        case EventKind.ESCALATED:
            return _escalation_summary(data)
        case EventKind.TRANSFERRED | EventKind.TAKEN_OVER | EventKind.DESIGNATED:
            return _("%(from)s → %(to)s. %(reason)s") % {
                "from": data.get("from_office_name") or _("no office"),
                "to": data.get("to_office_name"),
                "reason": data.get("reason", ""),
            }
        case EventKind.JURISDICTION_DISPUTED:
            return _("%(office)s and %(other)s dispute jurisdiction; to be settled by %(date)s. %(reason)s") % {
                "office": data.get("office_name"),
                "other": data.get("other_office_name"),
                "date": _local_date(data.get("settle_by")),
                "reason": data.get("reason", ""),
            }
        case EventKind.PENALTY_LINKED:
            return _("Penalty decision %(number)s") % {"number": data.get("penalty")}
        case _:
            return data.get("reason") or data.get("note") or ""


def _local_date(stored: str | None) -> str:
    """A stored ISO time as the Asia/Shanghai date it falls on."""
    moment = parse_datetime(stored or "")
    return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""


def _escalation_summary(data: dict) -> str:
    if data.get("trigger") == Trigger.DEADLINE and data.get("clock"):
        return _("Escalated automatically: the “%(clock)s” deadline was missed.") % {
            "clock": _choice_label(ClockKind.choices, data["clock"])
        }
    if data.get("automatic"):
        # Written before escalations recorded their clock: the clock was only named inside an English
        # ``reason`` sentence, which is not read back.
        return _("Escalated automatically after a missed deadline.")
    return data.get("reason", "")

"""Timeline events in words, for the detail page and the dossier.

An event's data holds codes (a clock, an outcome, what triggered a move) and the parties' own words; the labels
come from the choices, in the reader's language. No sentence stored in an event is parsed back. Events are
immutable and chained, so data written in an older shape is shown as well as it can be, never rewritten.
"""

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from .calendar import SHANGHAI
from .models import (
    ClockKind,
    Event,
    EventKind,
    EvidenceKind,
    Finding,
    GroundKind,
    NoticeKind,
    Party,
    ProposalKind,
    ResponseOutcome,
)
from .rulebook import ground
from .transitions import Trigger


def _choice_label(choices, value) -> str:
    return str(dict(choices).get(value, value or ""))


# Links that an app above this one offers for the events it records (the case desk's notices), registered from
# its AppConfig.ready(): this app may not import it. A link function takes the event and the reader and returns
# a URL, or None when the reader may not follow it.
EVENT_LINKS: dict[str, Callable[[Event, object], str | None]] = {}


def register_event_link(kind: str, link: Callable[[Event, object], str | None]) -> None:
    EVENT_LINKS[kind] = link


def event_link(event: Event, user) -> str | None:
    """Where the reader can get what ``event`` refers to (a notice's PDF), or None."""
    link = EVENT_LINKS.get(event.kind)
    return link(event, user) if link is not None else None


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
            ground_label = _ground_label(data.get("ground"), event.created_at)
            return " ".join(filter(None, [finding, ground_label, data.get("note")]))
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
        case EventKind.FOLLOW_UP_REQUESTED:
            return _("Sampled for a follow-up (Order 121 Art. 26)")
        case EventKind.FOLLOW_UP_ANSWERED:
            resolved = _("Resolved") if data.get("resolved") else _("Not resolved")
            return _("%(resolved)s; rating %(rating)s of 5. %(comment)s") % {
                "resolved": resolved,
                "rating": data.get("rating"),
                "comment": data.get("comment", ""),
            }
        case EventKind.PENALTY_LINKED:
            return _("Penalty decision %(number)s") % {"number": data.get("penalty")}
        case EventKind.REFUSAL_PROPOSED:
            return _("The requested material was not supplied in time: refusal on ground %(ground)s is proposed.") % {
                "ground": data.get("ground")
            }
        case EventKind.MATERIAL_REQUESTED:
            return _("%(message)s (by %(due)s)") % {"message": data.get("message", ""), "due": _day(data.get("due_at"))}
        case EventKind.MEDIATION_CONSENTED:
            parties = ", ".join(_choice_label(Party.choices, party) for party in data.get("parties", []))
            if data.get("delegated_to"):
                return _("%(parties)s: mediation by %(mediator)s") % {
                    "parties": parties,
                    "mediator": data["delegated_to"],
                }
            return parties
        case EventKind.TESTING_STARTED | EventKind.TESTING_ENDED:
            return data.get("note", "")
        case EventKind.AGREEMENT_RECORDED:
            return data.get("terms", "")
        case EventKind.MEDIATION_TERMINATED:
            return " ".join(filter(None, [_ground_label(data.get("ground"), event.created_at), data.get("note")]))
        case EventKind.MESSAGE_POSTED:
            attachments = len(data.get("attachments") or [])
            if not attachments:
                return _("A message on the thread")
            return ngettext(
                "A message on the thread, with %(count)d attached file",
                "A message on the thread, with %(count)d attached files",
                attachments,
            ) % {"count": attachments}
        case EventKind.NOTICE_ISSUED:
            return _("%(title)s %(number)s") % {
                "title": _choice_label(NoticeKind.choices, data.get("kind")),
                "number": data.get("number"),
            }
        case EventKind.PLATFORM_UNREACHABLE:
            return _("%(office)s confirmed the platform unreachable (%(reference)s): its deadlines stopped.") % {
                "office": data.get("office_name"),
                "reference": data.get("reference"),
            }
        case EventKind.JOINED_JOINT_COMPLAINT | EventKind.LEFT_JOINT_COMPLAINT:
            return _("Joint complaint JC-%(id)s") % {"id": data.get("joint_complaint")}
        case EventKind.REPRESENTATIVE_ACTED:
            return data.get("message", "")
        case EventKind.JOINT_PROPOSAL_MADE | EventKind.JOINT_PROPOSAL_ADOPTED:
            return _choice_label(ProposalKind.choices, data.get("kind"))
        case EventKind.MEMBER_CONSENT_RECORDED:
            answer = _("consents") if data.get("consents") else _("does not consent")
            return f"{_choice_label(ProposalKind.choices, data.get('kind'))}: {answer}"
        case EventKind.REFUND_RECORDED:
            return _("%(amount)s yuan on %(day)s, reference %(reference)s") % {
                "amount": data.get("amount"),
                "day": data.get("refunded_on"),
                "reference": data.get("channel_reference"),
            }
        case EventKind.JOINT_HANDLING_DECIDED:
            if data.get("handled_jointly"):
                text = _("Joint complaint JC-%(id)s is handled jointly (SAMR Order 121 Art. 12)")
            else:
                text = _("Joint complaint JC-%(id)s is not handled jointly; this complaint goes on alone")
            text = text % {"id": data.get("joint_complaint")}
            return f"{text}: {data['reason']}" if data.get("reason") else text
        case _:
            return data.get("reason") or data.get("note") or ""


def _local_date(stored: str | None) -> str:
    """A stored ISO time as the Asia/Shanghai date it falls on."""
    moment = parse_datetime(stored or "")
    return moment.astimezone(SHANGHAI).date().isoformat() if moment else ""


def _ground_label(code: str | None, at) -> str:
    """A ground's code with its citation, e.g. "art16_5 (SAMR Order 121, Art. 16(5))", as the rulebook had it when
    the event was recorded; a code it does not know is shown as it is."""
    if not code:
        return ""
    for kind in GroundKind.values:
        try:
            cited = ground(code, kind=kind, at=at)
        except ValidationError:
            continue
        citation = cited.citation if (get_language() or "").startswith("zh") else cited.citation_en
        return f"{code} ({citation})"
    return code


def _day(value: str | None) -> str:
    return (value or "")[:10]


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

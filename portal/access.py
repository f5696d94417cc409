"""Who may do what: every role rule of the portal, stated once.

Services, selectors, views, API permissions, the admin and templates ask these predicates instead of reading
``user.is_regulator`` or ``user.is_superuser`` themselves, so a rule changes in one place.

Each predicate takes any ``request.user``: a ``portal.models.User``, Django's ``AnonymousUser`` (which has
no role, platform or staff role) and ``platforms.authentication.ApiKeyUser`` (a platform's key, acting as one
of its agents). Attributes are read with ``getattr`` defaults, so a user without one is simply refused.

Tenant data is read through the scoped selectors (``complaints.selectors.complaints_visible_to``,
``regulation.penalties.penalties_visible_to``), which ask these predicates; the one deliberate bypass, for
system jobs, is ``complaints.selectors.unscoped_complaints_for_system``.
"""

from collections.abc import Callable

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .offices import EVERYTHING, NOTHING, OfficeScope


def is_authenticated(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_superuser(user) -> bool:
    """Runs the site: only a superuser sees or edits other superusers and permissions in the admin."""
    return bool(getattr(user, "is_superuser", False))


def is_consumer(user) -> bool:
    """Files complaints; sees only their own."""
    return bool(getattr(user, "is_consumer", False))


def is_regulator(user) -> bool:
    """Holds the regulator role. Where a superuser must count too, ask ``acts_as_regulator``."""
    return bool(getattr(user, "is_regulator", False))


def acts_as_regulator(user) -> bool:
    """Oversees the market: a regulator, or a superuser.

    A superuser (``createsuperuser``) runs the site and so oversees it; as a consumer they would see only
    complaints of their own. ``createsuperuser`` gives them the regulator role as well.
    """
    return is_regulator(user) or is_superuser(user)


def is_platform_staff(user) -> bool:
    """Works for exactly one platform: its agents and managers, and the platform's API keys (as an agent)."""
    return bool(getattr(user, "is_platform_staff", False))


def manages_platform(user) -> bool:
    """A manager of their platform: invites staff, manages keys and webhooks. An API key never is one, so a
    leaked key cannot hand the platform's access or its signed events to someone else."""
    return bool(getattr(user, "is_platform_manager", False))


def owns_complaint(user, complaint) -> bool:
    """The consumer who filed ``complaint``."""
    return is_consumer(user) and complaint.consumer_id == getattr(user, "pk", None)


def works_for_platform_of(user, complaint) -> bool:
    """Staff (or a key) of the platform ``complaint`` is against; another platform's staff are strangers."""
    return is_platform_staff(user) and complaint.platform_id == getattr(user, "platform_id", None)


def sees_consumer_contact(user, complaint) -> bool:
    """The consumer's personal data is for the platform concerned and regulators, never for anyone else."""
    return acts_as_regulator(user) or works_for_platform_of(user, complaint)


def may_post_in_thread(user, complaint) -> bool:
    """A complaint's thread is between its consumer and the staff (or keys) of its platform; regulators read it
    and may post. The complaint must come from ``complaints_visible_to``, which keeps a regulator to the
    complaints of their office scope (another office's answers 404 before this is asked)."""
    return owns_complaint(user, complaint) or works_for_platform_of(user, complaint) or acts_as_regulator(user)
def sees_payment_reference(user) -> bool:
    """The payment's transaction number finds the payment at the bank or payment channel: the consumer who paid,
    the platform concerned (to trace the payment) and regulators read it on the complaint, so they may also
    search by it. Nobody else sees complaints at all; the selectors scope which complaints each one reads."""
    return is_consumer(user) or is_platform_staff(user) or acts_as_regulator(user)


def may_read_internal_notes(user) -> bool:
    """Internal notes are between the platform and the regulator; consumers never see that they exist.

    Staff who got past ``complaints_visible_to`` belong to the complaint's platform."""
    return is_platform_staff(user) or acts_as_regulator(user)


def may_keep_internal_notes(user) -> bool:
    """Writing a note takes the staff or the regulator role; a superuser writes as the regulator they are made
    by ``createsuperuser``."""
    return is_platform_staff(user) or is_regulator(user)


def may_see_penalties(user) -> bool:
    """Regulators see every penalty, platform staff (and keys) their own platform's; nobody else any.

    A signed-in account that was deactivated sees none."""
    return (
        is_authenticated(user)
        and bool(getattr(user, "is_active", False))
        and (acts_as_regulator(user) or is_platform_staff(user))
    )


def office_scope(user) -> OfficeScope:
    """Whose cases a regulator reads: their office's and those of every office below it, never a sibling's.

    The national office's regulators (the national supervisor) and superusers, who run the site, read every
    office's. A regulator without an office reads nothing: a missing office is a mistake to fix in the admin,
    never "everything". Anyone who does not act as a regulator has no office scope at all (their reads are
    scoped by platform or by consumer instead).
    """
    if not acts_as_regulator(user):
        return NOTHING
    if is_superuser(user):
        return EVERYTHING
    office = getattr(user, "office", None)
    if office is None:
        return NOTHING
    if office.is_national:
        return OfficeScope(office=office, everything=True)
    return OfficeScope(office=office)


def office_ids_in_scope(user):
    """Ids of the offices ``user`` may read cases of, as a subquery; None for every office, an empty one for none."""
    return office_scope(user).office_ids()


def is_national_supervisor(user) -> bool:
    """A regulator of the national office (or a superuser): reads every office's cases."""
    return office_scope(user).everything


def works_in_admin(user) -> bool:
    """Only those who oversee the site work in the admin; anyone else loses ``is_staff`` when saved there."""
    return acts_as_regulator(user)


# What templates may ask, by name: ``{% if user|can:"see_penalties" %}`` (portal_tags).
RIGHTS: dict[str, Callable[[object], bool]] = {
    "act_as_regulator": acts_as_regulator,
    "be_regulator": is_regulator,
    "be_consumer": is_consumer,
    "work_for_a_platform": is_platform_staff,
    "manage_platform": manages_platform,
    "read_internal_notes": may_read_internal_notes,
    "see_penalties": may_see_penalties,
    "supervise_nationally": is_national_supervisor,
}


def can(user, right: str) -> bool:
    """``RIGHTS[right](user)``; an unknown name raises so that a typo in a template never hides a page."""
    try:
        predicate = RIGHTS[right]
    except KeyError:
        raise ValueError(f"Unknown right {right!r}; known: {', '.join(sorted(RIGHTS))}") from None
    return predicate(user)


# --- DRF permissions -----------------------------------------------------------------------------------


class PredicatePermission(BasePermission):
    """Lets the request through when ``predicate(request.user)`` holds. Subclasses set it and a ``message``."""

    predicate: Callable[[object], bool]

    def has_permission(self, request, view) -> bool:
        return is_authenticated(request.user) and self.predicate(request.user)


class IsPlatformStaff(PredicatePermission):
    predicate = staticmethod(is_platform_staff)


class ManagesPlatform(PredicatePermission):
    predicate = staticmethod(manages_platform)


class ActsAsRegulator(PredicatePermission):
    predicate = staticmethod(acts_as_regulator)


def has_account(user) -> bool:
    """Signed in as a person with an account of their own (any role). A platform's API key is a machine: it has
    no notifications or preferences."""
    return is_authenticated(user) and getattr(user, "pk", None) is not None


class HasAccount(PredicatePermission):
    predicate = staticmethod(has_account)
    message = _("Notifications belong to a person's account; an API key has none. Sign in with a token instead.")

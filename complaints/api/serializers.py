"""Input serializers turn a request into service arguments; output serializers render what callers may see."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import (
    Complaint,
    Deadline,
    Event,
    Evidence,
    EvidenceKind,
    InternalNote,
    RejectionReason,
    Response,
    ResponseOutcome,
)
from complaints.unreachable import unreachable_warning
from platforms.models import Platform
from portal import money
from portal.api import CachedFieldsModelSerializer, NulSafeSlugRelatedField

# --- filing --------------------------------------------------------------------------------------------


class UnregisteredPlatformIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    url = serializers.URLField(max_length=200)


class SupportContactIn(serializers.Serializer):
    """What the platform's own customer service said before the consumer came here."""

    agent_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    contacted_at = serializers.DateTimeField(required=False, allow_null=True)
    promise = serializers.CharField(max_length=500, required=False, allow_blank=True)
    promised_by = serializers.DateTimeField(required=False, allow_null=True)


class ComplaintFileIn(CachedFieldsModelSerializer):
    platform = NulSafeSlugRelatedField(
        slug_field="slug",
        queryset=Platform.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Slug of a registered platform. Leave out and give unregistered_platform instead."),
    )
    unregistered_platform = UnregisteredPlatformIn(
        required=False,
        allow_null=True,
        help_text=_("A platform not in the registry: the complaint goes to the regulator for triage first."),
    )
    support_contact = SupportContactIn(required=False, allow_null=True)

    class Meta:
        model = Complaint
        extra_kwargs = {"amount": {"error_messages": money.yuan_error_messages(settings.PORTAL_AMOUNT_MAX)}}
        fields = [
            "platform",
            "unregistered_platform",
            "order_number",
            "paid_at",
            "amount",
            "payment_channel",
            "payment_reference",
            "product_name",
            "problem",
            "platform_order_status",
            "description",
            "desired_outcome",
            "support_contact",
            "publish_consent",
        ]

    def validate(self, attrs: dict) -> dict:
        if bool(attrs.get("platform")) == bool(attrs.get("unregistered_platform")):
            raise serializers.ValidationError(
                {"platform": [_("Give exactly one of: a registered platform, or an unregistered one.")]}
            )
        return attrs

    def service_data(self) -> dict:
        """The validated request in the shape ``complaint_file(data=...)`` takes."""
        data = dict(self.validated_data)
        unregistered = data.pop("unregistered_platform", None)
        if unregistered:
            data["unregistered_platform_name"] = unregistered["name"]
            data["unregistered_platform_url"] = unregistered["url"]
        support = data.pop("support_contact", None) or {}
        for source, target in (
            ("agent_id", "support_agent_id"),
            ("contacted_at", "support_contacted_at"),
            ("promise", "support_promise"),
            ("promised_by", "support_promised_by"),
        ):
            if support.get(source) not in (None, ""):
                data[target] = support[source]
        return data


# --- consumer and platform actions ---------------------------------------------------------------------


class WithdrawIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AcceptIn(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReasonIn(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class MessageIn(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class PublicationIn(serializers.Serializer):
    consent = serializers.BooleanField()


class RespondIn(serializers.Serializer):
    """Which extra fields an outcome needs (e.g. refund_amount for refunded) is checked by the service."""

    outcome = serializers.ChoiceField(choices=ResponseOutcome.choices)
    message = serializers.CharField(max_length=5000)
    delivered_at = serializers.DateTimeField(required=False, allow_null=True)
    delivery_method = serializers.CharField(max_length=200, required=False, allow_blank=True)
    delivery_record = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text=_("Masked card key or activation record, e.g. ABCD-****-****-1234."),
    )
    refund_amount = serializers.DecimalField(
        max_digits=money.MAX_DIGITS,
        decimal_places=money.DECIMAL_PLACES,
        required=False,
        allow_null=True,
        error_messages=money.yuan_error_messages(settings.PORTAL_AMOUNT_MAX),
    )
    refund_reference = serializers.CharField(max_length=64, required=False, allow_blank=True)
    compensation = serializers.CharField(max_length=500, required=False, allow_blank=True)
    rejection_reason = serializers.ChoiceField(
        choices=RejectionReason.choices, required=False, allow_blank=True
    )
    promised_by = serializers.DateTimeField(required=False, allow_null=True)


class AssignIn(serializers.Serializer):
    assignee = NulSafeSlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.none(),
        allow_null=True,
        help_text=_("Username of an active member of your platform's staff, or null to unassign."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Usernames of other platforms' staff are as unknown as names that do not exist.
        request = self.context.get("request")
        platform_id = getattr(getattr(request, "user", None), "platform_id", None)
        if platform_id:
            self.fields["assignee"].queryset = get_user_model().objects.filter(
                platform_id=platform_id, is_active=True
            )


class NoteIn(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class EvidenceUploadIn(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False),
        allow_empty=False,
        help_text=_("One or more files (repeat the part). Images, PDF, text or audio."),
    )
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)


# --- output --------------------------------------------------------------------------------------------


class PlatformRefOut(CachedFieldsModelSerializer):
    class Meta:
        model = Platform
        fields = ["slug", "name"]


class ComplaintListOut(CachedFieldsModelSerializer):
    platform = PlatformRefOut(read_only=True, allow_null=True)
    platform_name = serializers.CharField(source="platform_display_name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    problem_display = serializers.CharField(source="get_problem_display", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "id",
            "reference",
            "status",
            "status_display",
            "platform",
            "platform_name",
            "order_number",
            "amount",
            "product_name",
            "problem",
            "problem_display",
            "created_at",
            "is_overdue",
            "compensation_breach",
        ]


class InboxComplaintOut(ComplaintListOut):
    next_due_at = serializers.DateTimeField(
        source="platform_due_at",
        read_only=True,
        allow_null=True,
        help_text=_("The earliest running platform deadline, if any."),
    )
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta(ComplaintListOut.Meta):
        fields = [*ComplaintListOut.Meta.fields, "next_due_at", "assigned_to"]


class DeadlineOut(CachedFieldsModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state = serializers.ChoiceField(
        choices=["running", "paused", "met", "late", "breached", "cancelled"], read_only=True
    )
    # The stored code, not the edition row: no query per clock.
    edition = serializers.CharField(
        source="edition_id",
        read_only=True,
        allow_null=True,
        help_text="Code of the rulebook edition in force when the clock started (GET /api/v1/rulebook/); null "
        "for the platform-side clocks, which are the portal's own service levels.",
    )
    article = serializers.CharField(
        read_only=True, help_text="The article the clock's length comes from, e.g. 令第121号第十五条; empty when none."
    )

    class Meta:
        model = Deadline
        fields = [
            "kind",
            "kind_display",
            "started_at",
            "due_at",
            "met_at",
            "breached_at",
            "paused_at",
            "cancelled_at",
            "cancelled_reason",
            "state",
            "edition",
            "article",
            "explanation",
        ]


class ResponseOut(CachedFieldsModelSerializer):
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = Response
        fields = [
            "id",
            "outcome",
            "outcome_display",
            "message",
            "delivered_at",
            "delivery_method",
            "delivery_record",
            "refund_amount",
            "refund_reference",
            "compensation",
            "rejection_reason",
            "promised_by",
            "created_at",
        ]


class EvidenceOut(CachedFieldsModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "kind",
            "party",
            "original_name",
            "size",
            "sha256",
            "content_type",
            "received_at",
            "download_url",
        ]

    def get_download_url(self, evidence: Evidence) -> str:
        path = reverse("complaints_api:evidence-download", args=[evidence.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class EvidenceBatchOut(serializers.Serializer):
    evidence = EvidenceOut(many=True)


class ConsumerContactOut(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField()
    phone = serializers.CharField()


class SupportContactOut(serializers.Serializer):
    agent_id = serializers.CharField(source="support_agent_id")
    contacted_at = serializers.DateTimeField(source="support_contacted_at", allow_null=True)
    promise = serializers.CharField(source="support_promise")
    promised_by = serializers.DateTimeField(source="support_promised_by", allow_null=True)


class ChannelRouteOut(serializers.Serializer):
    channel = serializers.CharField()
    label = serializers.CharField()
    ask = serializers.CharField(help_text="What to ask the payment channel for.")
    evidence = serializers.CharField(help_text="Which evidence to attach.")


class UnreachableWarningOut(serializers.Serializer):
    """消费预警 (消费者权益保护法实施条例 Art. 27; Order 121 Art. 38): the platform was confirmed unreachable."""

    confirmed_at = serializers.DateTimeField()
    reference = serializers.CharField(help_text="The regulator's confirmation reference.")
    office = serializers.CharField(help_text="The office that confirmed it.")
    complaints = serializers.IntegerField(help_text="Complaints filed against the platform.")
    advice = serializers.CharField()
    law = serializers.CharField()
    payment_channel_routes = ChannelRouteOut(many=True)


class ComplaintDetailOut(ComplaintListOut):
    """Everything about one complaint. ``consumer`` is null unless the caller may see personal data."""

    # Blank for registered platforms: documented as a plain string, since "" is not a valid URI.
    unregistered_platform_url = serializers.CharField(read_only=True)
    support_contact = SupportContactOut(source="*", read_only=True)
    finding_display = serializers.CharField(source="get_finding_display", read_only=True)
    assigned_to = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    consumer = serializers.SerializerMethodField()
    deadlines = DeadlineOut(many=True, read_only=True)
    responses = ResponseOut(many=True, read_only=True)
    evidence = EvidenceOut(many=True, read_only=True)
    chain_head_hash = serializers.CharField(source="last_event_hash", read_only=True)
    unreachable_warning = serializers.SerializerMethodField()

    class Meta(ComplaintListOut.Meta):
        fields = [
            *ComplaintListOut.Meta.fields,
            "unregistered_platform_url",
            "paid_at",
            "payment_channel",
            "payment_reference",
            "platform_order_status",
            "description",
            "desired_outcome",
            "support_contact",
            "finding",
            "finding_display",
            "finding_note",
            "assigned_to",
            "rating",
            "dispute_reason",
            "accepted_automatically",
            "publish_consent",
            "forwarded_at",
            "first_answered_at",
            "final_answered_at",
            "escalated_at",
            "closed_at",
            "updated_at",
            "consumer",
            "deadlines",
            "responses",
            "evidence",
            "event_count",
            "chain_head_hash",
            "unreachable_warning",
        ]

    @extend_schema_field(UnreachableWarningOut(allow_null=True))
    def get_unreachable_warning(self, complaint: Complaint) -> dict | None:
        """Null while the platform is reachable (or for an unregistered one)."""
        warning = unreachable_warning(complaint.platform) if complaint.platform_id else None
        return UnreachableWarningOut(warning.as_dict()).data if warning else None

    @extend_schema_field(ConsumerContactOut(allow_null=True))
    def get_consumer(self, complaint: Complaint) -> dict | None:
        if not self.context.get("include_consumer_contact"):
            return None
        return ConsumerContactOut(complaint.consumer).data


class RespondOut(ResponseOut):
    complaint_status = serializers.CharField(source="complaint.status", read_only=True)
    complaint_status_display = serializers.CharField(source="complaint.get_status_display", read_only=True)

    class Meta(ResponseOut.Meta):
        fields = [*ResponseOut.Meta.fields, "complaint_status", "complaint_status_display"]


class EventOut(CachedFieldsModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = Event
        fields = ["sequence", "kind", "kind_display", "actor", "created_at", "data", "prev_hash", "hash"]


class NoteOut(CachedFieldsModelSerializer):
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = InternalNote
        fields = ["id", "author", "text", "created_at"]

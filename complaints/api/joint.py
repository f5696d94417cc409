"""Joint complaints over the API (SAMR Order 121 Art. 12), for consumers and platforms.

A joint complaint outside the caller's scope answers 404 like a missing one; a caller who sees it but whose
role may not do the act gets 403; an act the article forbids (a third representative, a settlement without
every member's consent, a second joint answer) gets 409. Members never see each other's personal data: only
counts, member numbers and the representatives' names.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response

from complaints import joint as joint_services
from complaints.models import JointComplaint, JointDispute, ProposalKind, ProposalStatus
from portal.access import is_consumer, is_platform_staff
from portal.api import FIELD_ERRORS, error

from .base import IsPlatformStaff
from .serializers import RespondIn, RespondOut

NOT_FOUND = error("No such joint complaint in your scope (another's looks exactly like a missing one).")
FORBIDDEN = error("You can see the joint complaint but your role may not do this.")
CONFLICT = error("Refused under Order 121 Art. 12 or by the joint complaint's state (see `code`).")


class IsConsumer(permissions.BasePermission):
    message = _("Only consumers take part in joint complaints.")

    def has_permission(self, request, view) -> bool:
        return is_consumer(request.user)


class ReadsOrConsumerWrites(permissions.BasePermission):
    message = _("Only consumers take part in joint complaints.")

    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or is_consumer(request.user)


# --- serializers ---------------------------------------------------------------------------------------


class MemberOut(serializers.Serializer):
    """A member as other members see them: a number, and a name only for a representative."""

    id = serializers.IntegerField()
    number = serializers.IntegerField()
    is_representative = serializers.BooleanField()
    is_me = serializers.BooleanField()
    representative_name = serializers.CharField(allow_null=True)


class ProposalOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    text = serializers.CharField()
    status = serializers.ChoiceField(choices=ProposalStatus.choices)
    proposed_at = serializers.DateTimeField()
    adopted_at = serializers.DateTimeField(allow_null=True)
    consents_given = serializers.IntegerField()
    my_consent = serializers.BooleanField(allow_null=True)


class MemberComplaintOut(serializers.Serializer):
    """For the platform: the member complaints it answers (it sees those complaints anyway)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.CharField()


class JointOut(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    dispute = serializers.ChoiceField(choices=JointDispute.choices)
    platform = serializers.CharField(source="platform.slug")
    platform_name = serializers.CharField(source="platform.name")
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    member_count = serializers.IntegerField()
    representative_count = serializers.IntegerField()


class JointDetailOut(JointOut):
    representatives = serializers.ListField(child=serializers.CharField())
    join_code = serializers.CharField(allow_null=True, help_text="Shared by members with others; null for platforms.")
    consent_text = serializers.CharField()
    members = MemberOut(many=True, allow_null=True)
    proposals = ProposalOut(many=True)
    complaints = MemberComplaintOut(many=True, allow_null=True)


class JointCreateIn(serializers.Serializer):
    complaint = serializers.IntegerField(help_text="Id of your own open complaint.")
    title = serializers.CharField(max_length=200)
    summary = serializers.CharField(max_length=2000)
    consent = serializers.BooleanField(help_text="True: you agree to the `consent_text` of the joint complaint.")


class JointJoinIn(serializers.Serializer):
    join_code = serializers.CharField(max_length=20)
    complaint = serializers.IntegerField(help_text="Id of your own open complaint against the same platform.")
    consent = serializers.BooleanField()


class CandidatesIn(serializers.Serializer):
    candidates = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=2)


class JointStatementIn(serializers.Serializer):
    message = serializers.CharField(max_length=5000)


class ProposalIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProposalKind.choices)
    text = serializers.CharField(max_length=5000)


class ConsentIn(serializers.Serializer):
    consents = serializers.BooleanField()


# --- rendering -----------------------------------------------------------------------------------------


def joint_detail_data(joint: JointComplaint, user) -> dict:
    """The detail as ``user`` may see it: members see numbers and representatives' names, platforms the member
    complaints' references, nobody another member's personal data."""
    members = list(joint_services.active_members(joint).order_by("pk"))
    mine = joint_services.my_membership(user, joint)
    names = joint_services.representatives_by_member(joint)
    proposals = []
    for proposal in joint.proposals.order_by("-proposed_at", "-pk").prefetch_related("consents"):
        consents = {c.membership_id: c.consents for c in proposal.consents.all()}
        proposals.append(
            {
                "id": proposal.pk,
                "kind": proposal.kind,
                "text": proposal.text,
                "status": proposal.status,
                "proposed_at": proposal.proposed_at,
                "adopted_at": proposal.adopted_at,
                "consents_given": sum(1 for m in members if consents.get(m.pk) is True),
                "my_consent": consents.get(mine.pk) if mine else None,
            }
        )
    data = {
        "id": joint.pk,
        "title": joint.title,
        "summary": joint.summary,
        "dispute": joint.dispute,
        "platform": joint.platform,
        "created_at": joint.created_at,
        "answered_at": joint.answered_at,
        "member_count": len(members),
        "representative_count": len(names),
        "representatives": list(names.values()),
        "join_code": joint.join_code if mine else None,
        "consent_text": joint_services.join_consent_text(),
        "members": [
            {
                "id": m.pk,
                "number": number,
                "is_representative": m.is_representative,
                "is_me": mine is not None and m.pk == mine.pk,
                "representative_name": names.get(m.pk),
            }
            for number, m in enumerate(members, start=1)
        ]
        if mine
        else None,
        "proposals": proposals,
        "complaints": [
            {"id": c.pk, "reference": c.reference, "status": c.status}
            for c in (m.complaint for m in joint_services.active_members(joint).select_related("complaint"))
        ]
        if is_platform_staff(user)
        else None,
    }
    return JointDetailOut(data).data


class JointEndpoint(GenericAPIView):
    """Any signed-in caller, on the joint complaints ``joint_complaints_visible_to`` gives them."""

    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return JointComplaint.objects.none()
        return joint_services.joint_with_counts(
            joint_services.joint_complaints_visible_to(self.request.user).select_related("platform")
        )

    def get_joint(self) -> JointComplaint:
        return joint_services.joint_get_for(self.request.user, self.kwargs["id"])

    def detail_response(self, joint_id: int, status_code: int = status.HTTP_200_OK) -> Response:
        joint = joint_services.joint_get_for(self.request.user, joint_id)
        return Response(joint_detail_data(joint, self.request.user), status=status_code)


class JointListCreateView(JointEndpoint):
    permission_classes = [permissions.IsAuthenticated, ReadsOrConsumerWrites]
    serializer_class = JointCreateIn

    @extend_schema(
        summary="Joint complaints you take part in (consumers) or that are against your platform (staff)",
        responses=JointOut(many=True),
        tags=["joint complaints"],
    )
    def get(self, request, *args, **kwargs):
        return Response(JointOut(self.get_queryset().order_by("-created_at", "-pk"), many=True).data)

    @extend_schema(
        summary="Start a joint complaint from your complaint (consumers, Order 121 Art. 12)",
        request=JointCreateIn,
        responses={201: JointDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN},
        tags=["joint complaints"],
    )
    def post(self, request, *args, **kwargs):
        serializer = JointCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        joint = joint_services.joint_create(
            by=request.user,
            complaint_id=data["complaint"],
            title=data["title"],
            summary=data["summary"],
            consent=data["consent"],
        )
        return self.detail_response(joint.pk, status.HTTP_201_CREATED)


class JointDetailView(JointEndpoint):
    @extend_schema(
        summary="One joint complaint: counts, representatives' names, proposals",
        responses={200: JointDetailOut, 404: NOT_FOUND},
        tags=["joint complaints"],
    )
    def get(self, request, *args, **kwargs):
        return self.detail_response(self.get_joint().pk)


class JointJoinView(JointEndpoint):
    permission_classes = [permissions.IsAuthenticated, IsConsumer]
    serializer_class = JointJoinIn

    @extend_schema(
        summary="Join a joint complaint with its code, your complaint and your consent",
        request=JointJoinIn,
        responses={201: JointDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 409: CONFLICT},
        tags=["joint complaints"],
    )
    def post(self, request, *args, **kwargs):
        serializer = JointJoinIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        membership = joint_services.joint_join(
            by=request.user, join_code=data["join_code"], complaint_id=data["complaint"], consent=data["consent"]
        )
        return self.detail_response(membership.joint_id, status.HTTP_201_CREATED)


class JointActionView(JointEndpoint):
    """POST ``serializer_class`` → ``act(request, joint_id, data)`` → the joint complaint's detail."""

    permission_classes = [permissions.IsAuthenticated, IsConsumer]
    serializer_class = JointStatementIn

    def act(self, joint_id: int, data: dict) -> None:
        raise NotImplementedError

    @extend_schema(
        responses={200: JointDetailOut, 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
        tags=["joint complaints"],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        joint_id = self.joint_id()
        self.act(joint_id, serializer.validated_data)
        return self.detail_response(joint_id)

    def joint_id(self) -> int:
        return self.get_joint().pk


class JointLeaveView(JointEndpoint):
    permission_classes = [permissions.IsAuthenticated, IsConsumer]

    @extend_schema(
        summary="Leave the joint complaint (your own complaint goes on alone)",
        request=None,
        responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND},
        tags=["joint complaints"],
    )
    def post(self, request, *args, **kwargs):
        joint_services.joint_leave(by=request.user, joint_id=self.get_joint().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class JointRepresentativesView(JointActionView):
    """Your written choice of one or two members as representatives (Art. 12). More than half of the members
    naming someone elects them; a choice that would elect a third representative is 409."""

    serializer_class = CandidatesIn

    def act(self, joint_id, data):
        joint_services.joint_choose_representatives(
            by=self.request.user, joint_id=joint_id, candidate_ids=data["candidates"]
        )


class JointRepresentativeActView(JointActionView):
    """A representative states something for all members (binding them, Art. 12), on every member's chain."""

    serializer_class = JointStatementIn

    def act(self, joint_id, data):
        joint_services.joint_representative_act(by=self.request.user, joint_id=joint_id, message=data["message"])


class JointProposeView(JointActionView):
    """A representative proposes to settle, change or abandon the claim: it needs every member's consent."""

    serializer_class = ProposalIn

    def act(self, joint_id, data):
        joint_services.joint_propose(by=self.request.user, joint_id=joint_id, kind=data["kind"], text=data["text"])


class ProposalActionView(JointActionView):
    def joint_id(self) -> int:
        proposal = joint_services.proposal_get_for(self.request.user, self.kwargs["id"])
        self.proposal_id = proposal.pk
        return proposal.joint_id


class JointConsentView(ProposalActionView):
    """A member's own yes or no to a proposal, recorded once on their complaint's chain."""

    serializer_class = ConsentIn

    def act(self, joint_id, data):
        joint_services.joint_consent(by=self.request.user, proposal_id=self.proposal_id, consents=data["consents"])


class JointAdoptView(ProposalActionView):
    """A representative concludes a proposal: 409 (code ``consent_missing``) unless every member consented."""

    serializer_class = serializers.Serializer

    def act(self, joint_id, data):
        joint_services.joint_proposal_adopt(by=self.request.user, proposal_id=self.proposal_id)


class JointAnswerView(JointEndpoint):
    permission_classes = [permissions.IsAuthenticated, IsPlatformStaff]
    serializer_class = RespondIn

    @extend_schema(
        summary="Answer the joint complaint once (platform staff or API key)",
        description="The same answer is recorded on every member's complaint, as `POST /complaints/{id}/respond/` "
        "records one (same fields and rules); all or none. Each member then accepts or disputes their own.",
        request=RespondIn,
        responses={201: RespondOut(many=True), 400: FIELD_ERRORS, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
        tags=["joint complaints"],
    )
    def post(self, request, *args, **kwargs):
        joint = self.get_joint()
        serializer = RespondIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        responses = joint_services.joint_answer(by=request.user, joint_id=joint.pk, **serializer.validated_data)
        return Response(RespondOut(responses, many=True).data, status=status.HTTP_201_CREATED)

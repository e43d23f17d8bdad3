"""The privacy tier endpoints: thin views over ``lifecycle.privacy``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import selectors
from accounts.authentication import request_user
from accounts.serializers import ConsentRecordSerializer
from lifecycle import privacy
from lifecycle.serializers import (
    PrivacyChangeResultSerializer,
    PrivacyChangeSerializer,
    PrivacyRevokeResultSerializer,
    PrivacyStateSerializer,
)
from reflective.lib.fields import validated_input


class PrivacyViewSet(viewsets.ViewSet):
    @extend_schema(responses=PrivacyStateSerializer)
    def retrieve(self, request: Request) -> Response:
        return Response(privacy.privacy_state(user=request_user(request)))

    @extend_schema(
        request=PrivacyChangeSerializer,
        responses={
            200: PrivacyChangeResultSerializer,
            422: OpenApiResponse(
                description="he_public_key refused: not a public CKKS key of the policy, "
                "or a secret key (never stored)"
            ),
        },
        description=(
            "Upgrade (needs consent_timestamp; analytics_sync and full_sync need he_public_key "
            "unless a key epoch exists) or downgrade (deletes what the new tier forbids, in one "
            "transaction, and reports deleted_<kind> counts)."
        ),
    )
    def update(self, request: Request) -> Response:
        data = validated_input(PrivacyChangeSerializer, request.data)
        change = privacy.privacy_change(
            user=request_user(request),
            tier=data["privacy_tier"],
            consent_timestamp=data.get("consent_timestamp"),
            he_public_key=data.get("he_public_key"),
        )
        return Response(privacy.tier_change_report(change))

    @extend_schema(responses={200: PrivacyRevokeResultSerializer})
    def revoke(self, request: Request) -> Response:
        change = privacy.privacy_revoke(user=request_user(request))
        return Response(
            {
                "message": privacy.PrivacyMessages.REVOKED,
                "new_tier": change.user.privacy_tier,
                **privacy.tier_change_report(change),
            }
        )

    @extend_schema(
        responses=inline_serializer(
            "ConsentHistory", {"history": ConsentRecordSerializer(many=True)}
        )
    )
    def history(self, request: Request) -> Response:
        records = selectors.consent_history(user=request_user(request))
        return Response({"history": ConsentRecordSerializer(records, many=True).data})

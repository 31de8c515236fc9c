"""The first-party web chat: the same concierge pipeline as Telegram/WhatsApp/Instagram.

``POST /api/chat`` answers in the response (blocking mode, like a chat UI expects);
``GET /api/chat`` lists the conversation, including unprompted messages such as a
booking confirmation that arrived later.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import authentication, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from agnt.auth import JWTAuthentication
from messaging import router, selectors


class ChatThrottle(UserRateThrottle):
    scope = "chat"
    rate = "30/min"


class ChatMessageSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    direction = serializers.CharField()
    text = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    booking_reference = serializers.CharField(source="booking.external_ref", default=None, allow_null=True)


class ChatView(APIView):
    # JWT for the consumer app; the staff demo page at /chat/ uses the admin session (CSRF-checked)
    authentication_classes = [JWTAuthentication, authentication.SessionAuthentication]
    throttle_classes = [ChatThrottle]

    class ChatInputSerializer(serializers.Serializer):
        message = serializers.CharField(max_length=4000, trim_whitespace=True)
        client_message_id = serializers.CharField(
            max_length=64, required=False, help_text="Makes a retried POST idempotent: the same id is answered once."
        )

    class ChatOutputSerializer(serializers.Serializer):
        message = ChatMessageSerializer()
        replies = ChatMessageSerializer(many=True)
        duplicate = serializers.BooleanField()

    @extend_schema(
        request=ChatInputSerializer, responses={200: ChatOutputSerializer}, summary="Send a message to the concierge"
    )
    def post(self, request):
        data = self.ChatInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        interaction, created = router.web_message_accept(
            user=request.user,
            text=data.validated_data["message"],
            client_message_id=data.validated_data.get("client_message_id"),
        )
        if created:
            try:
                router.channel_drain(channel_id=interaction.channel_id, wait_seconds=30)
            except router.ChannelBusy:
                return Response(
                    {"detail": "The concierge is still answering your previous message; try again shortly."},
                    status=status.HTTP_409_CONFLICT,
                )
        interaction.refresh_from_db()
        body = {"message": interaction, "replies": router.replies_to(interaction), "duplicate": not created}
        return Response(self.ChatOutputSerializer(body).data)

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, required=False, description="At most 100 (default 50).")],
        responses={200: ChatMessageSerializer(many=True)},
        summary="The conversation on the web channel, oldest first",
    )
    def get(self, request):
        try:
            limit = max(1, min(int(request.query_params.get("limit", 50)), 100))
        except ValueError:
            return Response({"limit": ["A whole number between 1 and 100."]}, status=status.HTTP_400_BAD_REQUEST)
        messages = selectors.web_chat_messages(user=request.user, limit=limit)
        return Response(ChatMessageSerializer(messages, many=True).data)


# --- Channels: the user's messaging identities ---------------------------------------------


class ChannelSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    platform = serializers.CharField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    is_active = serializers.BooleanField(help_text="False when the user blocked the bot on that platform.")
    last_inbound_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ChannelListView(APIView):
    @extend_schema(responses=ChannelSerializer(many=True), summary="The messaging channels linked to my account")
    def get(self, request):
        from messaging.models import UserChannel

        channels = UserChannel.objects.filter(user=request.user).order_by("platform", "created_at")
        return Response(ChannelSerializer(channels, many=True).data)


class ChannelDetailView(APIView):
    @extend_schema(
        responses={204: None, 404: OpenApiResponse(description="No such channel of mine")},
        summary="Unlink a channel: the concierge stops knowing that chat as me",
    )
    def delete(self, request, pk):
        from django.shortcuts import get_object_or_404

        from messaging.models import UserChannel
        from messaging.services import user_channel_unlink

        channel = get_object_or_404(UserChannel, pk=pk, user=request.user)
        user_channel_unlink(user=request.user, channel=channel)
        return Response(status=status.HTTP_204_NO_CONTENT)

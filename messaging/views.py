"""The staff demo chat page: talks to ``/api/chat`` with the admin session."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from messaging import selectors


@staff_member_required
@ensure_csrf_cookie
def chat_page(request):
    return render(request, "messaging/chat.html", {"history": selectors.web_chat_messages(user=request.user, limit=50)})

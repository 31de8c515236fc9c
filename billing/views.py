"""The printable invoice / receipt / credit note (HTML with print CSS: the browser's "Save as
PDF" gives the PDF). Finance staff see every document; a venue's owners and managers see
their venue's; anyone else gets a 404, which says no more than that."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from billing import selectors


@require_GET
@login_required(login_url="admin:login")
def document_print(request: HttpRequest, pk) -> HttpResponse:
    document = selectors.document_for_print(user=request.user, pk=pk)
    if document is None:
        raise Http404("No such document")
    return render(request, "billing/document_print.html", selectors.document_print_context(document=document))


@require_GET
def affiliate_redirect(request: HttpRequest, token: str) -> HttpResponse:
    """``/go/<token>``: record the click (billing.affiliate) and 302 to the partner with our parameters."""
    from django.http import HttpResponseRedirect

    from billing import affiliate
    from billing.services.marketplace import affiliate_click_track

    try:
        target = affiliate.read_token(token)
    except affiliate.LinkInvalid as exc:
        return render(request, "billing/link_invalid.html", {"reason": str(exc)}, status=400)
    affiliate_click_track(
        target=target, ip=request.META.get("REMOTE_ADDR"), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    response = HttpResponseRedirect(affiliate.with_affiliate_params(target.url, target.partner))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response

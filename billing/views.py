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

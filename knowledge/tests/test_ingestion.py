"""The ingestion pipeline end to end: real PDFs, a real local web server, the real database."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from model_bakery import baker

from agnt.scheduling import REGISTRY
from knowledge import ingestion
from knowledge.ingestion import INTERNAL_ERROR, knowledge_source_ingest
from knowledge.models import VenueChunk, VenueKnowledgeSource
from knowledge.services import (
    knowledge_source_create,
    knowledge_source_requeue,
    knowledge_source_transition,
)
from knowledge.state import SourceStatus
from knowledge.tests.fixtures.web import (
    BOILERPLATE_PAGE,
    MENU_PAGE,
    Route,
    image_only_pdf,
    local_site,
    menu_pdf,
)

S = SourceStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def venue(db):
    return baker.make("venues.Venue", name="La Brisa")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def site(settings):
    settings.KNOWLEDGE_ALLOW_PRIVATE_URLS = True
    with local_site() as running:
        yield running


def _pdf_source(venue, data: bytes, name: str = "menu.pdf") -> VenueKnowledgeSource:
    upload = SimpleUploadedFile(name, data, content_type="application/pdf")
    return knowledge_source_create(venue=venue, kind="pdf", title="Menu", file=upload)


def _ingest(source) -> VenueKnowledgeSource:
    knowledge_source_ingest(source_id=source.pk)
    source.refresh_from_db()
    return source


def test_a_text_pdf_menu_becomes_ready_with_chunks_under_their_headings(venue):
    source = _ingest(_pdf_source(venue, menu_pdf()))

    assert (source.status, source.progress, source.error) == (S.READY, 100, "")
    chunks = list(source.chunks.order_by("ordinal"))
    assert [c.heading for c in chunks] == ["Starters", "Mains", "Desserts"]
    assert "Calamari fritti, lemon aioli 11.00" in chunks[0].content and "Tiramisu 9.00" in chunks[2].content
    assert all(c.venue_id == venue.pk and c.embedding is None and c.embedding_model == "" for c in chunks)
    assert all(len(c.content_hash) == 64 and c.token_count > 0 for c in chunks)
    assert source.chunk_count == 3 and source.size_bytes == len(menu_pdf()) and source.last_ingested_at
    assert list(source.events.values_list("from_status", "to_status")) == [
        ("", S.QUEUED),
        (S.QUEUED, S.PROCESSING),
        (S.PROCESSING, S.READY),
    ]


def test_pdf_chunks_remember_their_page_and_citations_carry_it(venue):
    from knowledge.retrieval import search_venue_knowledge

    _ingest(_pdf_source(venue, menu_pdf()))
    assert set(VenueChunk.objects.filter(venue=venue).values_list("page", flat=True)) == {1}
    [hit] = search_venue_knowledge(query="snapper", venue=venue, limit=1)
    assert hit.citation["page"] == 1 and hit.citation["source"] == "Menu"


def test_a_new_chunker_version_rechunks_an_unchanged_file(venue, monkeypatch):
    source = _ingest(_pdf_source(venue, menu_pdf()))
    ids = set(source.chunks.values_list("pk", flat=True))
    monkeypatch.setattr(ingestion, "CHUNKER_VERSION", "test-next")

    knowledge_source_requeue(source=source)
    source = _ingest(source)

    assert source.status == S.READY and source.chunk_count == 3
    assert ids.isdisjoint(source.chunks.values_list("pk", flat=True))


def test_chunks_are_found_by_full_text_search(venue):
    _ingest(_pdf_source(venue, menu_pdf()))
    assert VenueChunk.objects.filter(venue=venue, search_vector="snapper").get().heading == "Mains"


def test_an_encrypted_pdf_fails_with_the_password_message(venue):
    source = _ingest(_pdf_source(venue, menu_pdf(user_password="letmein")))
    assert source.status == S.FAILED and source.error == "the PDF is password-protected"
    assert source.events.last().error == "the PDF is password-protected" and not source.chunks.exists()


def test_a_scanned_pdf_fails_with_the_no_text_layer_message(venue):
    source = _ingest(_pdf_source(venue, image_only_pdf()))
    assert source.status == S.FAILED
    assert source.error.startswith("the PDF has no text layer (scanned image?)")


def test_a_plain_text_upload_is_ingested(venue):
    source = _ingest(_pdf_source(venue, b"Opening Hours\nDaily from ten until late.\n", name="notes.txt"))
    assert source.status == S.READY and source.chunks.get().heading == "Opening Hours"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("menu.docx", b"PK\x03\x04 word file", "only PDF and plain-text files can be ingested (got menu"),
        ("menu.pdf", b"<html>not a pdf</html>", "the file is named .pdf but is not a PDF"),
        ("notes.txt", b"%PDF-1.7 sneaky", "the file is named as text but is not plain text"),
    ],
)
def test_a_file_of_the_wrong_type_fails_clearly(venue, name, data, message):
    source = _ingest(_pdf_source(venue, data, name=name))
    assert source.status == S.FAILED and source.error.startswith(message)


def test_a_file_over_the_upload_limit_fails_with_sizes(venue, settings):
    settings.KNOWLEDGE_MAX_UPLOAD_BYTES = 1024
    source = _ingest(_pdf_source(venue, menu_pdf()))
    assert source.status == S.FAILED and source.error.endswith("the limit is 1.0 KB") and "the file is" in source.error


def test_a_text_source_is_ingested(venue):
    source = knowledge_source_create(
        venue=venue, kind="text", title="Rules", text="# House rules\nNo shoes on the deck."
    )
    source = _ingest(source)
    assert source.status == S.READY and source.chunks.get().heading == "House rules"


def test_a_web_page_becomes_ready_with_its_main_text(venue, site):
    site.routes["/menu"] = Route(body=MENU_PAGE.encode())
    source = knowledge_source_create(venue=venue, kind="url", title="Site", url=site.url("/menu"))
    source = _ingest(source)

    assert source.status == S.READY, source.error
    chunks = list(source.chunks.order_by("ordinal"))
    assert [c.heading for c in chunks] == ["Our menu", "Our menu › Starters", "Our menu › Mains"]
    assert "sambal matah" in chunks[2].content and not any("All rights reserved" in c.content for c in chunks)
    assert len(source.content_hash) == 64


def test_a_pdf_behind_a_url_is_ingested_as_a_pdf(venue, site):
    site.routes["/menu.pdf"] = Route(body=menu_pdf(), content_type="application/pdf")
    source = _ingest(knowledge_source_create(venue=venue, kind="url", title="PDF", url=site.url("/menu.pdf")))
    assert source.status == S.READY and source.chunk_count == 3


def test_a_url_that_404s_fails_with_the_status(venue, site):
    source = _ingest(knowledge_source_create(venue=venue, kind="url", title="Gone", url=site.url("/old-menu")))
    assert source.status == S.FAILED and source.error == "the page returned 404 Not Found"


def test_a_page_with_only_boilerplate_fails_with_no_main_text(venue, site):
    site.routes["/"] = Route(body=BOILERPLATE_PAGE.encode())
    source = _ingest(knowledge_source_create(venue=venue, kind="url", title="Home", url=site.url("/")))
    assert source.status == S.FAILED and source.error == "no main text found on the page"


def test_a_private_url_fails_when_private_urls_are_not_allowed(venue, settings):
    settings.KNOWLEDGE_ALLOW_PRIVATE_URLS = False
    source = knowledge_source_create(venue=venue, kind="url", title="Metadata", url="http://169.254.169.254/latest/")
    source = _ingest(source)
    assert source.status == S.FAILED and source.error == "refusing to fetch a link-local address 169.254.169.254"


def test_re_ingesting_unchanged_content_keeps_the_same_chunks(venue):
    source = _ingest(_pdf_source(venue, menu_pdf()))
    chunk = source.chunks.get(heading="Mains")
    VenueChunk.objects.filter(pk=chunk.pk).update(embedding=[0.1] * 384, embedding_model="minilm")
    ids = list(source.chunks.order_by("ordinal").values_list("pk", flat=True))

    knowledge_source_requeue(source=source)
    source = _ingest(source)

    assert source.status == S.READY and source.chunk_count == 3
    assert list(source.chunks.order_by("ordinal").values_list("pk", flat=True)) == ids
    assert source.chunks.get(pk=chunk.pk).embedding_model == "minilm"


def test_changed_content_replaces_the_chunks_and_keeps_vectors_of_unchanged_ones(venue, site):
    site.routes["/menu"] = Route(body=MENU_PAGE.encode())
    source = _ingest(knowledge_source_create(venue=venue, kind="url", title="Site", url=site.url("/menu")))
    mains = source.chunks.get(heading="Our menu › Mains")
    VenueChunk.objects.filter(pk=mains.pk).update(embedding=[0.1] * 384, embedding_model="minilm")
    old_ids = set(source.chunks.values_list("pk", flat=True))

    site.routes["/menu"] = Route(body=MENU_PAGE.replace("8.50", "9.50").encode())
    knowledge_source_requeue(source=source)
    source = _ingest(source)

    assert source.status == S.READY
    chunks = {c.heading: c for c in source.chunks.all()}
    assert not old_ids & {c.pk for c in chunks.values()}
    assert "9.50" in chunks["Our menu › Starters"].content and chunks["Our menu › Starters"].embedding is None
    assert chunks["Our menu › Mains"].embedding_model == "minilm" and chunks["Our menu › Mains"].embedding is not None


def test_a_failed_re_ingest_keeps_the_previous_chunks(venue, site):
    site.routes["/menu"] = Route(body=MENU_PAGE.encode())
    source = _ingest(knowledge_source_create(venue=venue, kind="url", title="Site", url=site.url("/menu")))
    site.routes.pop("/menu")
    knowledge_source_requeue(source=source)
    source = _ingest(source)
    assert source.status == S.FAILED and source.chunks.count() == 3


def test_a_source_that_is_not_queued_is_left_alone(venue):
    source = knowledge_source_create(venue=venue, kind="text", title="Rules", text="No shoes.")
    knowledge_source_transition(source=source, to_status=S.PROCESSING)
    assert knowledge_source_ingest(source_id=source.pk) is None
    assert knowledge_source_ingest(source_id=uuid.uuid4()) is None
    source.refresh_from_db()
    assert source.status == S.PROCESSING and source.events.count() == 2


def test_an_unexpected_error_fails_with_internal_error_and_no_traceback(venue, monkeypatch, caplog):
    def explode(sections):
        raise RuntimeError("secret stack detail")

    monkeypatch.setattr(ingestion, "chunk_sections", explode)
    source = _ingest(knowledge_source_create(venue=venue, kind="text", title="Rules", text="No shoes."))
    assert source.status == S.FAILED and source.error == INTERNAL_ERROR
    assert "secret" not in source.error and "Traceback" not in source.error
    assert "unexpected ingestion error" in caplog.text


def test_progress_moves_forward_while_processing(venue, monkeypatch):
    seen = []
    real = ingestion.knowledge_source_set_progress

    def record(*, source, progress):
        real(source=source, progress=progress)
        seen.append(VenueKnowledgeSource.objects.get(pk=source.pk).progress)

    monkeypatch.setattr(ingestion, "knowledge_source_set_progress", record)
    _ingest(_pdf_source(venue, menu_pdf()))
    assert seen == sorted(seen) and seen[0] > 0 and seen[-1] < 100


def test_creating_a_source_enqueues_its_ingestion_on_commit(venue, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        source = knowledge_source_create(venue=venue, kind="text", title="Rules", text="No shoes on the deck.")
    assert VenueKnowledgeSource.objects.get(pk=source.pk).status == S.QUEUED  # nothing ran before commit
    assert len(callbacks) == 1
    callbacks[0]()  # tasks run eagerly in tests
    source.refresh_from_db()
    assert source.status == S.READY and source.chunk_count == 1


def test_the_reingest_admin_action_enqueues_on_commit(staff_client, venue, django_capture_on_commit_callbacks):
    source = _ingest(knowledge_source_create(venue=venue, kind="text", title="Rules", text="No shoes."))
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            "/admin/knowledge/venueknowledgesource/", {"action": "reingest", "_selected_action": [source.pk]}
        )
    source.refresh_from_db()
    assert source.status == S.READY
    assert list(source.events.values_list("to_status", flat=True)) == [
        S.QUEUED,
        S.PROCESSING,
        S.READY,
        S.QUEUED,
        S.PROCESSING,
        S.READY,
    ]


def test_the_sweep_is_a_registered_periodic_job_on_the_knowledge_queue():
    from knowledge.tasks import ingest_pending_sources

    job = REGISTRY["ingest_pending_sources"]
    assert job.task == ingest_pending_sources.name == "knowledge.ingest_pending_sources"
    assert job.queue == "knowledge"


def test_the_sweep_ingests_queued_sources_whose_enqueue_was_lost(venue):
    from knowledge.tasks import ingest_pending_sources

    old = knowledge_source_create(venue=venue, kind="text", title="Old", text="Dogs welcome.")
    fresh = knowledge_source_create(venue=venue, kind="text", title="Fresh", text="Cash only.")
    VenueKnowledgeSource.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(minutes=10))

    assert ingest_pending_sources() == 1

    assert VenueKnowledgeSource.objects.get(pk=old.pk).status == S.READY
    assert VenueKnowledgeSource.objects.get(pk=fresh.pk).status == S.QUEUED  # probably still in the broker

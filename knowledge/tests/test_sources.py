import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from model_bakery import baker

from knowledge.models import KnowledgeSourceEvent, VenueKnowledgeSource
from knowledge.services import (
    SourceTransitionError,
    knowledge_source_create,
    knowledge_source_requeue,
    knowledge_source_transition,
)
from knowledge.state import SourceStatus

S = SourceStatus


@pytest.fixture
def venue(db):
    return baker.make("venues.Venue")


def _text_source(venue) -> VenueKnowledgeSource:
    return knowledge_source_create(venue=venue, kind="text", title="House rules", text="No shoes on the deck.")


@pytest.mark.django_db
def test_a_new_source_is_queued_with_its_hash_size_and_a_first_event(venue):
    source = _text_source(venue)
    assert source.status == S.QUEUED
    assert len(source.content_hash) == 64 and source.size_bytes == len("No shoes on the deck.")
    assert list(source.events.values_list("from_status", "to_status")) == [("", S.QUEUED)]


@pytest.mark.django_db
def test_a_pdf_source_stores_its_file_and_hashes_it(venue, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("menu.pdf", b"%PDF-1.4 menu", content_type="application/pdf")
    source = knowledge_source_create(venue=venue, kind="pdf", title="Menu", file=upload)
    assert source.file.name.startswith("knowledge/") and source.size_bytes == len(b"%PDF-1.4 menu")
    assert source.url == "" and source.text == ""


@pytest.mark.django_db
def test_it_refuses_a_source_without_the_content_its_kind_needs(venue):
    with pytest.raises(ValidationError):
        knowledge_source_create(venue=venue, kind="url", title="Site")
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueKnowledgeSource.objects.create(venue=venue, kind="pdf", title="Menu", text="not a file")


@pytest.mark.django_db
def test_ingestion_moves_queued_to_processing_to_ready_and_logs_each_step(venue):
    source = _text_source(venue)
    knowledge_source_transition(source=source, to_status=S.PROCESSING)
    knowledge_source_transition(source=source, to_status=S.READY)

    source.refresh_from_db()
    assert source.status == S.READY and source.progress == 100 and source.last_ingested_at is not None
    steps = list(source.events.order_by("created_at").values_list("from_status", "to_status"))
    assert steps == [("", S.QUEUED), (S.QUEUED, S.PROCESSING), (S.PROCESSING, S.READY)]


@pytest.mark.django_db
def test_a_failed_source_keeps_its_error_until_it_is_requeued(venue):
    source = _text_source(venue)
    knowledge_source_transition(source=source, to_status=S.PROCESSING)
    knowledge_source_transition(source=source, to_status=S.FAILED, error="PDF is encrypted")
    source.refresh_from_db()
    assert source.error == "PDF is encrypted"

    knowledge_source_requeue(source=source)
    source.refresh_from_db()
    assert source.status == S.QUEUED and source.error == "" and source.progress == 0


@pytest.mark.django_db
def test_a_ready_source_can_be_reingested(venue):
    source = _text_source(venue)
    knowledge_source_transition(source=source, to_status=S.PROCESSING)
    knowledge_source_transition(source=source, to_status=S.READY)
    knowledge_source_requeue(source=source)
    assert VenueKnowledgeSource.objects.get(pk=source.pk).status == S.QUEUED


@pytest.mark.django_db
def test_it_refuses_to_requeue_a_source_that_is_already_queued_or_skip_processing(venue):
    source = _text_source(venue)
    with pytest.raises(SourceTransitionError):
        knowledge_source_requeue(source=source)
    with pytest.raises(SourceTransitionError):
        knowledge_source_transition(source=source, to_status=S.READY)
    assert KnowledgeSourceEvent.objects.filter(source=source).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_a_forbidden_source_transition_and_an_unknown_status(venue):
    source = _text_source(venue)
    with pytest.raises(IntegrityError, match="cannot move from queued to ready"), transaction.atomic():
        VenueKnowledgeSource.objects.filter(pk=source.pk).update(status=S.READY)
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueKnowledgeSource.objects.filter(pk=source.pk).update(status="half-done")
    with pytest.raises(IntegrityError), transaction.atomic():
        VenueKnowledgeSource.objects.filter(pk=source.pk).update(progress=101)

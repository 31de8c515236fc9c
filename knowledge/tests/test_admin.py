import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from model_bakery import baker

from knowledge.models import (
    EntityEdge,
    EntityNode,
    FoodDiary,
    KnowledgeSourceEvent,
    UserMemory,
    VenueChunk,
    VenueKnowledgeSource,
)
from knowledge.services import knowledge_source_create, knowledge_source_transition


@pytest.fixture
def demo(db):
    venue = baker.make("venues.Venue", name="La Brisa")
    source = knowledge_source_create(venue=venue, kind="text", title="Menu", text="Grilled fish, coconut rice.")
    VenueChunk.objects.create(
        venue=venue, source=source, ordinal=0, heading="Mains", content="Grilled fish", embedding=[0.1] * 384
    )
    baker.make(UserMemory, content="vegetarian", embedding=[0.2] * 384)
    node = EntityNode.objects.create(kind="venue", key="la-brisa", label="La Brisa", venue=venue)
    area = EntityNode.objects.create(kind="area", key="echo-beach", label="Echo Beach")
    EntityEdge.objects.create(src=node, dst=area, relation="located_in")
    baker.make(FoodDiary, eaten_at="2026-01-05T12:00:00Z", calories=640)
    return {"venue": venue, "source": source}


MODELS = [VenueKnowledgeSource, KnowledgeSourceEvent, VenueChunk, UserMemory, EntityNode, EntityEdge, FoodDiary]


def _url(model, page, *args):
    return reverse(f"admin:knowledge_{model._meta.model_name}_{page}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_knowledge_admin_page_renders(staff_client, demo, model):
    assert staff_client.get(_url(model, "changelist")).status_code == 200
    obj = model.objects.order_by("pk").first()
    assert staff_client.get(_url(model, "change", obj.pk)).status_code == 200
    assert staff_client.get(_url(model, "add")).status_code in (200, 403)


def test_the_chunk_list_does_not_print_the_vector(staff_client, demo):
    html = staff_client.get(_url(VenueChunk, "changelist")).content.decode()
    assert "Grilled fish" in html and "0.1, 0.1" not in html


def test_adding_a_source_in_the_admin_goes_through_the_service(staff_client, staff_user, demo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = staff_client.post(
        _url(VenueKnowledgeSource, "add"),
        {
            "venue": demo["venue"].pk,
            "kind": "pdf",
            "title": "Drinks menu",
            "file": SimpleUploadedFile("drinks.pdf", b"%PDF drinks"),
            "url": "",
            "text": "",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = VenueKnowledgeSource.objects.get(title="Drinks menu")
    assert source.status == "queued" and source.created_by == staff_user and len(source.content_hash) == 64
    assert source.events.count() == 1


def test_a_pdf_source_without_a_file_is_refused_by_the_form(staff_client, demo):
    response = staff_client.post(
        _url(VenueKnowledgeSource, "add"),
        {
            "venue": demo["venue"].pk,
            "kind": "pdf",
            "title": "Nope",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200 and not VenueKnowledgeSource.objects.filter(title="Nope").exists()


def test_the_reingest_action_requeues_ready_sources_and_skips_queued_ones(staff_client, demo):
    ready = demo["source"]
    knowledge_source_transition(source=ready, to_status="processing")
    knowledge_source_transition(source=ready, to_status="ready")
    queued = knowledge_source_create(venue=demo["venue"], kind="url", title="Site", url="https://labrisa.example")

    staff_client.post(
        _url(VenueKnowledgeSource, "changelist"), {"action": "reingest", "_selected_action": [ready.pk, queued.pk]}
    )

    ready.refresh_from_db()
    assert ready.status == "queued"
    assert ready.events.filter(from_status="ready", to_status="queued").count() == 1
    assert queued.events.count() == 1


def test_the_forget_action_deletes_memories(staff_client, demo):
    memory = UserMemory.objects.get()
    staff_client.post(_url(UserMemory, "changelist"), {"action": "forget", "_selected_action": [memory.pk]})
    assert not UserMemory.objects.exists()


def test_a_venue_owner_sees_only_their_own_venues_sources(client, demo):
    from django.contrib.auth.models import Permission

    from knowledge.roles import venue_owner_permission_codenames

    owner = baker.make("agnt.User", is_staff=True)
    for app_label, codename in venue_owner_permission_codenames():
        owner.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    mine = baker.make("venues.Venue", name="Mine")
    baker.make("venues.VenueClient", user=owner, venue=mine)
    knowledge_source_create(venue=mine, kind="text", title="My house rules", text="Be kind.")
    client.force_login(owner)

    html = client.get(_url(VenueKnowledgeSource, "changelist")).content.decode()

    assert "My house rules" in html and "Menu" not in html
    assert client.get(_url(VenueKnowledgeSource, "change", demo["source"].pk)).status_code == 404

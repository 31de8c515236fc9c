"""Venue knowledge (sources → chunks with embeddings), user memory and the knowledge graph."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from pgvector.django import HnswIndex, VectorField

from agnt.db import BaseModel, TimestampedModel, choices_check
from knowledge.state import SourceStatus

EMBEDDING_DIMENSIONS = 384  # MiniLM (all-MiniLM-L6-v2), the local offline model


class SourceKind(models.TextChoices):
    PDF = "pdf", "PDF (menu, brochure)"
    URL = "url", "Web page"
    TEXT = "text", "Text"


class VenueKnowledgeSource(TimestampedModel):
    """One piece of venue knowledge to ingest: an uploaded PDF, a web page, or pasted text.

    Ingestion splits it into VenueChunk rows with embeddings; ``status`` moves only along
    knowledge.state.SOURCE_TRANSITIONS and each move is a KnowledgeSourceEvent.
    """

    Kind = SourceKind
    Status = SourceStatus

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="knowledge_sources")
    kind = models.CharField(max_length=4, choices=SourceKind.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="knowledge/%Y/%m/", blank=True, max_length=300)
    url = models.URLField(max_length=1000, blank=True)
    text = models.TextField(blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the last ingested content.")
    status = models.CharField(max_length=10, choices=SourceStatus.choices, default=SourceStatus.QUEUED)
    error = models.TextField(blank=True)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0–100 while processing.")
    chunk_count = models.PositiveIntegerField(default=0)
    size_bytes = models.PositiveBigIntegerField(default=0)
    last_ingested_at = models.DateTimeField(null=True, blank=True)
    refresh_interval_hours = models.PositiveIntegerField(
        null=True, blank=True, help_text="URLs only: re-fetch this often (empty = never)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("kind", SourceKind, name="knowledge_source_kind_valid"),
            choices_check("status", SourceStatus, name="knowledge_source_status_valid"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="knowledge_source_progress_range"),
            models.CheckConstraint(
                condition=(
                    (models.Q(kind=SourceKind.PDF) & ~models.Q(file=""))
                    | (models.Q(kind=SourceKind.URL) & ~models.Q(url=""))
                    | (models.Q(kind=SourceKind.TEXT) & ~models.Q(text=""))
                ),
                name="knowledge_source_has_content",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="knowledge_source_status"),
            models.Index(fields=["venue", "status"], name="knowledge_source_venue_status"),
        ]

    def __str__(self) -> str:
        return self.title


class KnowledgeSourceEvent(BaseModel):
    """One status change of a knowledge source (ingest started, failed, re-queued…).

    Written once, never updated; unlike money ledgers it is deleted with its source, so an
    owner can remove a menu without a database trigger refusing the cascade.
    """

    source = models.ForeignKey(VenueKnowledgeSource, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    error = models.TextField(blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ["created_at"]
        indexes = [models.Index(fields=["source", "created_at"], name="knowledge_event_source_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class VenueChunk(BaseModel):
    """One passage of a venue's knowledge with its embedding, the unit RAG retrieves.

    ``search_vector`` is a STORED generated column (full-text fallback and hybrid search);
    ``embedding`` is searched by cosine distance through an HNSW index.

    ``city`` and ``category`` are copies of the venue's, so a city/category filter is one
    indexed equality on this table instead of a join or a list of venue ids. The database
    keeps them right (migration 0004's triggers): a chunk takes its venue's values on
    every insert, and a venue that moves city or changes category moves its chunks in
    the same transaction — whatever path saved the venue (admin, onboarding, a script).
    """

    venue = models.ForeignKey("venues.Venue", on_delete=models.CASCADE, related_name="knowledge_chunks")
    city = models.ForeignKey(
        "venues.City",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="The venue's city (copied by a database trigger; filter on it, never write it).",
    )
    category = models.CharField(max_length=20, help_text="The venue's category (copied by a database trigger).")
    source = models.ForeignKey(VenueKnowledgeSource, on_delete=models.CASCADE, related_name="chunks")
    ordinal = models.PositiveIntegerField()
    heading = models.CharField(max_length=300, blank=True)
    content = models.TextField()
    page = models.PositiveIntegerField(null=True, blank=True, help_text="1-based PDF page the passage starts on.")
    token_count = models.PositiveIntegerField(default=0)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=80, blank=True)
    content_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the content; re-embed when it changes."
    )
    search_vector = models.GeneratedField(
        expression=SearchVector("heading", "content", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta(BaseModel.Meta):
        ordering = ["source", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["source", "ordinal"], name="venue_chunk_source_ordinal_unique")]
        indexes = [
            HnswIndex(
                name="venue_chunk_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            GinIndex(fields=["search_vector"], name="venue_chunk_search_gin"),
            models.Index(fields=["venue"], name="venue_chunk_venue"),
            # city alone and city + category: the bounded count and the exact path read these
            models.Index(fields=["city", "category"], name="venue_chunk_city_category"),
        ]

    def __str__(self) -> str:
        return self.heading or self.content[:60]


class MemoryKind(models.TextChoices):
    PREFERENCE = "preference", "Preference"
    FACT = "fact", "Fact"
    ALLERGY = "allergy", "Allergy / dietary"
    AREA = "area", "Favourite area"
    PARTY_SIZE = "party_size", "Usual party size"
    BUDGET = "budget", "Budget"
    OTHER = "other", "Other"


class UserMemory(TimestampedModel):
    """Something the concierge remembers about one user, with an embedding for recall.

    Importance decays (``user_memory_decay`` job); faded memories are archived, not
    deleted, until the user asks to forget them — then the row is really deleted.
    """

    Kind = MemoryKind

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memories")
    kind = models.CharField(max_length=12, choices=MemoryKind.choices, default=MemoryKind.PREFERENCE)
    content = models.TextField()
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    embedding_model = models.CharField(max_length=80, blank=True)
    importance = models.FloatField(default=0.5, help_text="0–1; decays over time, rises when recalled.")
    confidence = models.FloatField(default=0.8, help_text="0–1: how sure the concierge is this is true.")
    source_interaction_id = models.UUIDField(null=True, blank=True, help_text="messaging.Interaction it came from.")
    last_recalled_at = models.DateTimeField(null=True, blank=True)
    recall_count = models.PositiveIntegerField(default=0)
    decayed_at = models.DateTimeField(null=True, blank=True, help_text="Last time the decay job lowered importance.")
    archived_at = models.DateTimeField(null=True, blank=True, help_text="Set when it faded below the recall threshold.")

    class Meta(TimestampedModel.Meta):
        verbose_name_plural = "user memories"
        constraints = [
            choices_check("kind", MemoryKind, name="user_memory_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(importance__gte=0, importance__lte=1), name="user_memory_importance_range"
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__gte=0, confidence__lte=1), name="user_memory_confidence_range"
            ),
        ]
        indexes = [
            HnswIndex(
                name="user_memory_embedding_hnsw",
                fields=["embedding"],
                m=16,
                ef_construction=64,
                opclasses=["vector_cosine_ops"],
            ),
            models.Index(
                fields=["user", "-importance"],
                name="user_memory_live",
                condition=models.Q(archived_at__isnull=True),
            ),
            models.Index(fields=["user", "kind"], name="user_memory_user_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.content[:60]}"


class EntityKind(models.TextChoices):
    VENUE = "venue", "Venue"
    AREA = "area", "Area"
    CITY = "city", "City"
    CUISINE = "cuisine", "Cuisine"
    TASTE = "taste", "Taste"
    DISH = "dish", "Dish"
    USER = "user", "User"


class EntityNode(TimestampedModel):
    """A typed node of the knowledge graph (a venue, an area, a cuisine, a dish, a user…)."""

    Kind = EntityKind

    kind = models.CharField(max_length=8, choices=EntityKind.choices)
    key = models.SlugField(max_length=200, help_text="Stable key, unique within its kind.")
    label = models.CharField(max_length=200)
    venue = models.ForeignKey(
        "venues.Venue", null=True, blank=True, on_delete=models.CASCADE, related_name="graph_nodes"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="graph_nodes"
    )
    properties = models.JSONField(default=dict, blank=True)

    class Meta(TimestampedModel.Meta):
        ordering = ["kind", "key"]
        constraints = [
            choices_check("kind", EntityKind, name="entity_node_kind_valid"),
            models.UniqueConstraint(fields=["kind", "key"], name="entity_node_kind_key_unique"),
            models.CheckConstraint(
                condition=models.Q(venue__isnull=True) | models.Q(kind=EntityKind.VENUE), name="entity_node_venue_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(user__isnull=True) | models.Q(kind=EntityKind.USER), name="entity_node_user_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.label}"


class EntityRelation(models.TextChoices):
    LOCATED_IN = "located_in", "located in"
    SERVES = "serves", "serves"
    HAS_TASTE = "has_taste", "has taste"
    SIMILAR_TO = "similar_to", "similar to"
    LIKES = "likes", "likes"
    DISLIKES = "dislikes", "dislikes"
    VISITED = "visited", "visited"
    NEAR = "near", "near"
    PART_OF = "part_of", "part of"


class EntityEdge(TimestampedModel):
    """A directed, weighted relation between two graph nodes (venue serves cuisine…)."""

    Relation = EntityRelation

    src = models.ForeignKey(EntityNode, on_delete=models.CASCADE, related_name="out_edges")
    dst = models.ForeignKey(EntityNode, on_delete=models.CASCADE, related_name="in_edges")
    relation = models.CharField(max_length=12, choices=EntityRelation.choices)
    weight = models.FloatField(default=1.0)
    properties = models.JSONField(default=dict, blank=True)

    class Meta(TimestampedModel.Meta):
        constraints = [
            choices_check("relation", EntityRelation, name="entity_edge_relation_valid"),
            models.UniqueConstraint(fields=["src", "dst", "relation"], name="entity_edge_unique"),
            models.CheckConstraint(condition=~models.Q(src=models.F("dst")), name="entity_edge_no_self_loop"),
        ]
        indexes = [models.Index(fields=["dst", "relation"], name="entity_edge_dst_relation")]

    def __str__(self) -> str:
        return f"{self.src} —{self.relation}→ {self.dst}"


class MealType(models.TextChoices):
    BREAKFAST = "breakfast", "Breakfast"
    LUNCH = "lunch", "Lunch"
    DINNER = "dinner", "Dinner"
    SNACK = "snack", "Snack"
    DRINK = "drink", "Drink"


class FoodDiary(TimestampedModel):
    """One meal a user logged (usually a photo): estimated calories and macros."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="food_diary")
    photo = models.FileField(upload_to="food/%Y/%m/", blank=True, max_length=300)
    meal_type = models.CharField(max_length=10, choices=MealType.choices, blank=True)
    description = models.TextField(blank=True)
    items = models.JSONField(default=list, blank=True, help_text="Recognised dishes with per-item estimates.")
    eaten_at = models.DateTimeField()
    calories = models.PositiveIntegerField(null=True, blank=True)
    protein_g = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    carbs_g = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    fat_g = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    confidence = models.FloatField(null=True, blank=True, help_text="0–1 from the vision model.")
    source_interaction_id = models.UUIDField(null=True, blank=True)

    class Meta(TimestampedModel.Meta):
        verbose_name = "food diary entry"
        verbose_name_plural = "food diary"
        ordering = ["-eaten_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meal_type="") | models.Q(meal_type__in=[v for v, _ in MealType.choices]),
                name="food_diary_meal_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(confidence__isnull=True) | models.Q(confidence__gte=0, confidence__lte=1),
                name="food_diary_confidence_range",
            ),
        ]
        indexes = [models.Index(fields=["user", "-eaten_at"], name="food_diary_user_recent")]

    def __str__(self) -> str:
        return f"{self.user} · {self.eaten_at:%Y-%m-%d %H:%M}"

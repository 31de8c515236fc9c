"""Denormalise the venue's city and category onto VenueChunk, kept right by triggers.

Why: a city-filtered vector search used to resolve the city to ~100 venue ids and send
``venue_id IN (…)``; one indexed equality on the chunk row is cheaper to plan, to count
and to test while the HNSW scan streams rows (bench/README.md has the figures).

Why triggers rather than only the services: a venue changes city or category from the
admin form, from onboarding (category) and from scripts; none of them should have to
remember the chunks. The database copies the values on every chunk insert and moves a
venue's chunks when the venue row changes, in the same transaction.
"""

import django.db.models.deletion
from django.db import migrations, models

CHUNK_TRIGGER = """
CREATE OR REPLACE FUNCTION knowledge_venuechunk_copy_venue_place() RETURNS trigger AS $$
BEGIN
    -- The chunk's city/category are always its venue's: whatever the writer sent.
    SELECT v.city_id, v.category INTO NEW.city_id, NEW.category
      FROM venues_venue v WHERE v.id = NEW.venue_id;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER knowledge_venuechunk_copy_venue_place
    BEFORE INSERT OR UPDATE OF venue_id, city_id, category ON knowledge_venuechunk
    FOR EACH ROW EXECUTE FUNCTION knowledge_venuechunk_copy_venue_place();
"""

VENUE_TRIGGER = """
CREATE OR REPLACE FUNCTION knowledge_venue_moves_its_chunks() RETURNS trigger AS $$
BEGIN
    UPDATE knowledge_venuechunk SET city_id = NEW.city_id, category = NEW.category
     WHERE venue_id = NEW.id
       AND (city_id IS DISTINCT FROM NEW.city_id OR category IS DISTINCT FROM NEW.category);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER knowledge_venue_moves_its_chunks
    AFTER UPDATE OF city_id, category ON venues_venue
    FOR EACH ROW
    WHEN (OLD.city_id IS DISTINCT FROM NEW.city_id OR OLD.category IS DISTINCT FROM NEW.category)
    EXECUTE FUNCTION knowledge_venue_moves_its_chunks();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS knowledge_venue_moves_its_chunks ON venues_venue;
DROP FUNCTION IF EXISTS knowledge_venue_moves_its_chunks();
DROP TRIGGER IF EXISTS knowledge_venuechunk_copy_venue_place ON knowledge_venuechunk;
DROP FUNCTION IF EXISTS knowledge_venuechunk_copy_venue_place();
"""

# Immediate FK checks for the backfill: deferred ones would leave "pending trigger events"
# and PostgreSQL refuses the ALTER TABLE … SET NOT NULL that follows in this transaction.
BACKFILL = """
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE knowledge_venuechunk c SET city_id = v.city_id, category = v.category
  FROM venues_venue v WHERE v.id = c.venue_id;
SET CONSTRAINTS ALL DEFERRED;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0003_venue_chunk_page"),
        ("venues", "0004_venue_search_document"),
    ]

    operations = [
        migrations.AddField(
            model_name="venuechunk",
            name="city",
            field=models.ForeignKey(
                db_index=False, help_text="The venue's city (copied by a database trigger; filter on it, never write it).",
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.city",
            ),
        ),
        migrations.AddField(
            model_name="venuechunk",
            name="category",
            field=models.CharField(
                default="", help_text="The venue's category (copied by a database trigger).", max_length=20
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(CHUNK_TRIGGER + VENUE_TRIGGER, reverse_sql=DROP_TRIGGERS),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="venuechunk",
            name="city",
            field=models.ForeignKey(
                db_index=False, help_text="The venue's city (copied by a database trigger; filter on it, never write it).",
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="venues.city",
            ),
        ),
        migrations.AddIndex(
            model_name="venuechunk",
            index=models.Index(fields=["city", "category"], name="venue_chunk_city_category"),
        ),
    ]

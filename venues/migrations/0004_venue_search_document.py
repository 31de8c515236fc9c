"""Full-text search over venues: an immutable document function and a GIN index on it.

``venue_search_document`` builds the weighted tsvector venues.selectors.venue_search ranks
on (name A; tags, cuisines, area B; description C). Declaring it IMMUTABLE is what lets
an expression index use it; that holds because the text-search configuration is fixed
('english') and array_to_string over text[] depends on nothing but its input.
"""

from django.db import migrations

CREATE_FUNCTION = """
CREATE OR REPLACE FUNCTION venue_search_document(name text, description text, tags text[], cuisines text[], area text)
RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(name, '')), 'A')
        || setweight(to_tsvector('english'::regconfig,
               coalesce(array_to_string(tags, ' '), '') || ' ' || coalesce(array_to_string(cuisines, ' '), '')
               || ' ' || replace(coalesce(array_to_string(tags, ' '), ''), '-', ' ')
               || ' ' || coalesce(area, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')
$$;
"""

CREATE_INDEX = """
CREATE INDEX IF NOT EXISTS venue_search_document_gin ON venues_venue USING gin (
    venue_search_document(name, description, (tags)::text[], (cuisines)::text[], area)
);
"""


class Migration(migrations.Migration):
    dependencies = [("venues", "0003_venue_db_rules")]

    operations = [
        migrations.RunSQL(CREATE_FUNCTION, "DROP FUNCTION IF EXISTS venue_search_document(text, text, text[], text[], text);"),
        migrations.RunSQL(CREATE_INDEX, "DROP INDEX IF EXISTS venue_search_document_gin;"),
    ]

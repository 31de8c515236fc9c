"""``python -m venues.demo``: check bali.yaml against the schema after an edit."""

from venues.demo import load

data = load()
print(f"OK: {len(data['cities'])} cities, {len(data['venues'])} venues, {len(data['users'])} users")

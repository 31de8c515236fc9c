"""Read-side queries of the CRM that carry logic (none yet: the admin and the API read the models directly)."""

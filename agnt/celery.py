"""The Celery app. Tasks are discovered from every installed app's ``tasks`` module; apps
connect their own worker hooks (knowledge warms its embedding model in knowledge/apps.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")

app = Celery("agnt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

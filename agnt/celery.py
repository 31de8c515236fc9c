"""The Celery app. Tasks are discovered from every installed app's ``tasks`` module."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")

app = Celery("agnt")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _connect_warmup(sender, **kwargs):
    from celery.signals import worker_process_init

    worker_process_init.connect(_warm_embeddings, weak=False)


def _warm_embeddings(**kwargs):
    """Load the local embedding model in each worker process before the first task.

    Loading MiniLM takes a few seconds; paid inside a concierge tool call it would eat the
    tool's 5-second budget (remember_preference, ask_venue).
    """
    import threading

    from django.conf import settings

    if settings.EMBEDDINGS_PROVIDER != "local":
        return  # an API provider has nothing to load (and a warm-up call would cost money)

    def load():
        try:
            from knowledge.embeddings import embed_texts

            embed_texts(["warm up"])
        except Exception:  # noqa: BLE001 - a cold model is slower, not broken
            pass

    threading.Thread(target=load, name="embeddings-warmup", daemon=True).start()

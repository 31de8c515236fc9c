from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from celery.signals import worker_process_init

        worker_process_init.connect(warm_embeddings, weak=False, dispatch_uid="knowledge.warm_embeddings")


def warm_embeddings(**kwargs) -> None:
    """Load the local embedding model in each Celery worker process before the first task.

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

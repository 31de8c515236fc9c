"""The Celery app. Tasks are discovered from every installed app's ``tasks`` module; apps
connect their own worker hooks (knowledge warms its embedding model in knowledge/apps.py)."""

import logging
import os

import celery.worker.consumer
from billiard.exceptions import WorkerLostError
from celery import Celery, Task, bootsteps
from celery.worker.request import Request

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agnt.settings")

app = Celery("agnt", task_cls="agnt.celery:AgntTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class OutboxRelayOnConnect(bootsteps.StartStopStep):
    """Each time a worker (re)connects to the broker, publish the task outbox at once:
    tasks stored while Redis was down go out the moment it is back, not at the next tick."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer):
        import threading

        def relay():
            from django.db import connection

            try:
                from agnt.services import task_outbox_relay
                from agnt.signals import broker_connected

                task_outbox_relay()
                broker_connected.send_robust(sender=None)
            except Exception:  # noqa: BLE001 - the periodic relay tries again in seconds
                logging.getLogger(__name__).warning("outbox relay on connect failed", exc_info=True)
            finally:
                connection.close()

        threading.Thread(target=relay, name="outbox-relay", daemon=True).start()


app.steps["consumer"].add(OutboxRelayOnConnect)


class Consumer(celery.worker.consumer.Consumer):
    """Celery's consumer, reconnecting to a broker that went away every 0.5–2 s instead of
    kombu's 2, 4, 6 … 30 s: after a Redis outage the worker is back within two seconds."""

    def ensure_connected(self, conn):
        ensure = conn.ensure_connection

        def quickly(errback=None, max_retries=None, callback=None, **kwargs):
            kwargs.update(interval_start=0.5, interval_step=0.5, interval_max=2)
            return ensure(errback, max_retries, callback=callback, **kwargs)

        conn.ensure_connection = quickly
        return super().ensure_connected(conn)

    def on_connection_error_after_connected(self, exc):
        # kombu 5.7 can raise AttributeError ('NoneType' object has no attribute 'hostname')
        # while closing a Redis connection that is already gone (restore_unacked on a
        # channel without a client); Celery treats that as unrecoverable and the whole
        # worker exits. The connection is dropped either way: carry on reconnecting.
        try:
            super().on_connection_error_after_connected(exc)
        except AttributeError:
            logging.getLogger(__name__).warning("broker connection closed uncleanly; reconnecting", exc_info=True)
            self.connection = None


class AgntRequest(Request):
    """Celery's request, plus a visible trace of the worst case: a pool child killed while
    running a task (SIGKILL, out of memory). The task is re-queued (acks_late +
    reject_on_worker_lost); staff see an ErrorLog row and a metric."""

    def on_failure(self, exc_info, send_failed_event=True, return_ok=False):
        exc = getattr(exc_info, "exception", None)
        exc = getattr(exc, "exc", exc)  # billiard wraps it in ExceptionWithTraceback
        if isinstance(exc, WorkerLostError):
            try:
                from agnt.services import fault_record

                fault_record(
                    kind="worker_lost",
                    logger_name="celery.worker",
                    message=f"a worker process died running {self.task_name}[{self.id}]: {exc}; the task was re-queued",
                    context={"task": self.task_name, "task_id": self.id, "args": repr(self.argsrepr)[:500]},
                )
            except Exception:  # noqa: BLE001
                logging.getLogger(__name__).warning("could not record a lost worker", exc_info=True)
        return super().on_failure(exc_info, send_failed_event=send_failed_event, return_ok=return_ok)


class AgntTask(Task):
    Request = AgntRequest

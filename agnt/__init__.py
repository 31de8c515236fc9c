"""AGNT project package: settings, urls, ASGI/WSGI, Celery, scheduling, core identity."""

from agnt.celery import app as celery_app

__all__ = ("celery_app",)

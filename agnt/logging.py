"""A logging handler that records ERROR and above in the ErrorLog table for the admin."""

from __future__ import annotations

import logging
import traceback


class ErrorLogHandler(logging.Handler):
    """Writes ErrorLog rows. Never raises: a broken database must not break logging."""

    _busy = False

    def emit(self, record: logging.LogRecord) -> None:
        if ErrorLogHandler._busy or record.name.startswith("django.db"):
            return
        ErrorLogHandler._busy = True
        try:
            from django.apps import apps

            if not apps.ready:
                return
            from agnt.models import ErrorLog

            exc_type = tb = ""
            if record.exc_info and record.exc_info[0]:
                exc_type = record.exc_info[0].__name__
                tb = "".join(traceback.format_exception(*record.exc_info))[-20000:]
            request = getattr(record, "request", None)
            ErrorLog.objects.create(
                level=ErrorLog.Level.CRITICAL if record.levelno >= logging.CRITICAL else ErrorLog.Level.ERROR,
                logger=record.name[:120],
                message=record.getMessage()[:10000],
                exception_type=exc_type[:200],
                traceback=tb,
                request_path=(getattr(request, "path", "") or "")[:500],
                context={"module": record.module, "line": record.lineno},
            )
        except Exception:  # noqa: BLE001 - logging must never raise
            pass
        finally:
            ErrorLogHandler._busy = False

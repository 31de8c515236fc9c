"""The A2A task state machine: one table (agents.state.A2A_TASK_TRANSITIONS), checked by
agnt.transitions when a task is saved and re-checked by a database trigger."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction

from agents.models import A2ATask
from agents.platform import a2a_tasks
from agents.services import api_key_create
from agents.state import A2ATaskState as S

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_key(django_user_model):
    developer = django_user_model.objects.create_user(username="a2a-state", password="x")
    return api_key_create(owner=developer, name="Partner agent", tier="pro")[0]


def _saved_task(api_key, state: str) -> A2ATask:
    task = a2a_tasks.task_new(api_key=api_key, message={"messageId": "m1", "role": "ROLE_USER", "parts": []})
    a2a_tasks._set_state(task, state, text="started")
    return a2a_tasks.a2a_task_save(task=task)


def test_a_waiting_task_gains_a_message_and_moves_on_with_its_version_bumped(api_key):
    task = _saved_task(api_key, S.INPUT_REQUIRED)
    a2a_tasks._set_state(task, S.INPUT_REQUIRED, text="still need the party size")
    a2a_tasks.a2a_task_save(task=task, fields=["state", "task"])
    a2a_tasks._set_state(task, S.COMPLETED, text="done")
    a2a_tasks.a2a_task_save(task=task, fields=["state", "task"])
    stored = A2ATask.objects.get(pk=task.pk)
    assert (stored.state, stored.version, task.version) == (S.COMPLETED, 3, 3)
    assert len(stored.task["history"]) == 4


def test_a_finished_task_is_refused_any_other_state_by_the_service_and_the_database(api_key):
    task = _saved_task(api_key, S.COMPLETED)
    a2a_tasks._set_state(task, S.WORKING, text="again?")
    with pytest.raises(a2a_tasks.TaskError, match="is completed; it cannot become working") as refused:
        a2a_tasks.a2a_task_save(task=task, fields=["state", "task"])
    assert refused.value.kind == "unsupported"
    with pytest.raises(DatabaseError, match="cannot move from completed to working"), transaction.atomic():
        A2ATask.objects.filter(pk=task.pk).update(state=S.WORKING)
    stored = A2ATask.objects.get(pk=task.pk)
    assert (stored.state, stored.version) == (S.COMPLETED, 1)

from __future__ import annotations

import pytest

from agents.hosted import services
from agents.hosted.models import CallerKind


@pytest.fixture
def owner(django_user_model):
    return django_user_model.objects.create_user(username="agent-author", password="x")


@pytest.fixture
def stranger(django_user_model):
    return django_user_model.objects.create_user(username="stranger", password="x")


def make_agent(owner, *, code: str, name: str = "Echo", friendly_name: str = "echo", visibility="private", **fields):
    agent = services.hosted_agent_create(owner=owner, name=name, code=code, **fields)
    deployment = services.deployment_create(agent=agent, friendly_name=friendly_name, visibility=visibility)
    return agent, deployment


def run_now(deployment, payload, *, payer, **kwargs):
    """Create and execute a run synchronously; returns the finished run."""
    from agents.hosted.runner import execute

    run, _ = services.run_create(
        deployment=deployment,
        input=payload,
        caller_kind=CallerKind.USER,
        caller_ref=f"user:{payer.pk}",
        payer=payer,
        user=payer,
        **kwargs,
    )
    return execute(run_id=run.pk)

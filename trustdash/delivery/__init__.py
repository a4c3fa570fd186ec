"""Delivery: the brief and the alerts pushed to people, by email or webhook.

:mod:`~trustdash.delivery.model`
    subscriptions, recipients (email, Slack, Teams, JSON webhook) and the schedule.
:mod:`~trustdash.delivery.alerts`
    the new alerts (negative spikes, trust dips) a subscription's filters match.
:mod:`~trustdash.delivery.messages`
    the emailed brief and alerts, and the webhook payloads.
:mod:`~trustdash.delivery.images`
    the emailed charts (PNG).
:mod:`~trustdash.delivery.send`
    SMTP and webhooks.
:mod:`~trustdash.delivery.run`
    a run: what is due, sent once, retried with back-off.
:mod:`~trustdash.delivery.handoff`
    a run handed to the app that holds the embedded store.
"""

from __future__ import annotations

from trustdash.delivery.model import (
    EVERY,
    KINDS,
    LANGS,
    SEVERITIES,
    WEEKDAYS,
    InvalidRecipient,
    Subscription,
    mask,
    transport_of,
    validate,
)
from trustdash.delivery.run import MAX_ATTEMPTS, Outcome, run

__all__ = [
    "EVERY",
    "KINDS",
    "LANGS",
    "MAX_ATTEMPTS",
    "SEVERITIES",
    "WEEKDAYS",
    "InvalidRecipient",
    "Outcome",
    "Subscription",
    "mask",
    "run",
    "transport_of",
    "validate",
]

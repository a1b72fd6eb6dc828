"""Live alerts: the spec's rules evaluated on each report, stored once per session and rule, sent to notifiers."""

from __future__ import annotations

from sessionoptimizer_sdk.alerts.engine import AlertEngine
from sessionoptimizer_sdk.alerts.model import Alert
from sessionoptimizer_sdk.alerts.notifiers import CallableNotifier, LogNotifier, Notifier, WebhookNotifier
from sessionoptimizer_sdk.alerts.rules import (
    AlertRule,
    HighErrorRateRule,
    HighWasteRule,
    LongSessionRule,
    LowEfficiencyRule,
    TokenSpikeRule,
    default_rules,
)

__all__ = [
    "Alert",
    "AlertEngine",
    "AlertRule",
    "CallableNotifier",
    "HighErrorRateRule",
    "HighWasteRule",
    "LogNotifier",
    "LongSessionRule",
    "LowEfficiencyRule",
    "Notifier",
    "TokenSpikeRule",
    "WebhookNotifier",
    "default_rules",
]

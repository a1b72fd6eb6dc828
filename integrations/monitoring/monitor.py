"""Cron-ready monitoring (the spec's "Automated Monitoring"): alert on recent sessions that ran inefficiently.

    */15 * * * * SESSIONOPTIMIZER_HOME=~/.sessionoptimizer python integrations/monitoring/monitor.py --json

Looks at sessions that ended in the last ``--hours`` (default 1), analyzes each COMPLETED one not checked
before, and sends the spec's SynapseLink message for any below ``--threshold`` (default 70%). Without SynapseLink
installed, the alert is printed instead. Sessions already checked are remembered in the store (cursor
``integrations.monitor``), so overlapping cron runs never alert twice. Exit code: 0 ok, 1 failure, 3 if
``--fail-on-alert`` and something fired (for schedulers that page on a non-zero exit).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sessionoptimizer_sdk import SessionOptimizer, SessionOptimizerError

CURSOR = "integrations.monitor"
Sender = Callable[..., Any]


def _sender() -> Sender | None:
    try:
        from synapselink import quick_send  # type: ignore[import-not-found]
    except ImportError:
        return None
    return quick_send  # type: ignore[no-any-return]


def check(
    optimizer: SessionOptimizer, *, hours: float, threshold: float, to: str, send: Sender | None
) -> list[dict[str, Any]]:
    """Analyze recent COMPLETED sessions not checked before; alert those under ``threshold``. Returns rows."""
    since = datetime.now(UTC) - timedelta(hours=hours)
    seen: dict[str, Any] = dict(optimizer.store.get_cursor(CURSOR) or {})
    checked: dict[str, str] = dict(seen.get("checked", {}))
    rows: list[dict[str, Any]] = []
    for session in optimizer.list_sessions(since=since, limit=None):
        if session.status.value != "COMPLETED" or session.id in checked:
            continue
        report = optimizer.analyze(session.id)
        alert = report.efficiency_score < threshold
        row = {
            "session_id": session.id,
            "agent": session.agent,
            "efficiency_score": round(report.efficiency_score, 1),
            "total_waste_tokens": report.total_waste_tokens,
            "alert": alert,
        }
        if alert:
            subject = f"Efficiency Alert: {session.agent}"
            body = f"Session: {session.id}\nEfficiency: {report.efficiency_score:.1f}%"
            if send is not None:
                send(to, subject, body, priority="HIGH")
            else:
                print(f"ALERT {subject} | {body.replace(chr(10), ' | ')}", file=sys.stderr)
        checked[session.id] = datetime.now(UTC).isoformat()
        rows.append(row)
    horizon = (since - timedelta(days=1)).isoformat()
    optimizer.store.set_cursor(CURSOR, {"checked": {k: v for k, v in checked.items() if v >= horizon}})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Alert on recent inefficient sessions (run from cron).")
    parser.add_argument(
        "--hours", type=float, default=1.0, help="look at sessions started this many hours ago"
    )
    parser.add_argument("--threshold", type=float, default=70.0, help="alert below this efficiency (percent)")
    parser.add_argument("--to", default="LOGAN", help="SynapseLink recipients")
    parser.add_argument("--json", action="store_true", help="print one JSON object per checked session")
    parser.add_argument("--fail-on-alert", action="store_true", help="exit 3 when an alert fired")
    args = parser.parse_args(argv)
    try:
        optimizer = SessionOptimizer()
        rows = check(optimizer, hours=args.hours, threshold=args.threshold, to=args.to, send=_sender())
        optimizer.shutdown(timeout=30)
    except SessionOptimizerError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return 1
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            flag = "ALERT" if row["alert"] else "ok"
            print(f"{flag:5} {row['agent']:8} {row['efficiency_score']:5.1f}%  {row['session_id']}")
    return 3 if args.fail_on_alert and any(r["alert"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

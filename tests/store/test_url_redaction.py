"""Store URLs shown in messages, ``doctor`` and object reprs never carry a password, wherever it was written."""

from __future__ import annotations

import pytest

from sessionoptimizer_sdk.store._pg_connection import redact


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://so:s3cret@db:5432/team", "postgresql://so:***@db:5432/team"),
        (
            "postgresql://so@db/team?password=s3cret&sslmode=require",
            "postgresql://so@db/team?password=***&sslmode=require",
        ),
        (
            "postgresql://db/team?sslmode=require&PASSWORD=s3cret",
            "postgresql://db/team?sslmode=require&PASSWORD=***",
        ),
        ("postgresql://so@db/team?sslpassword=s3cret", "postgresql://so@db/team?sslpassword=***"),
        ("postgresql://so@db/team?sslmode=disable", "postgresql://so@db/team?sslmode=disable"),
    ],
)
def test_passwords_in_user_info_and_in_parameters_are_hidden(url: str, shown: str) -> None:
    """A password in the user info or as a ``password``/``sslpassword`` parameter is shown as ``***``."""
    assert redact(url) == shown

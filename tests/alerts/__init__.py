"""Tests of sessionoptimizer_sdk.alerts."""

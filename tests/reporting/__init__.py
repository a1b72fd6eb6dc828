"""Tests of sessionoptimizer_sdk.reporting."""

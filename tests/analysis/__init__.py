"""Tests of sessionoptimizer_sdk.analysis."""

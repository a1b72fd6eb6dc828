"""Private helpers shared across the pipeline; nothing here is public API."""

"""Claude Code hooks: the live guard (``guard``), the hook process (``runtime``) and settings edits (``settings``).

Kept free of imports so the hook process loads only what it uses.
"""

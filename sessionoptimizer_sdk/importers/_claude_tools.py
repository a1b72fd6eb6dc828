"""Claude Code's file tools and the argument naming their file: shared by the transcript importer and the ingest."""

from __future__ import annotations

from typing import Final

__all__ = ["READ_TOOLS", "WRITE_TOOLS"]

#: Tools that return a file's content into the context, and the argument that names the file.
READ_TOOLS: Final = {"Read": "file_path", "NotebookRead": "notebook_path"}
#: Tools that change a file, and the argument that names the file.
WRITE_TOOLS: Final = {
    "Edit": "file_path",
    "MultiEdit": "file_path",
    "Write": "file_path",
    "NotebookEdit": "notebook_path",
}

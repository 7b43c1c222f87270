"""One base exception; every message names the session/file and the fix."""

from __future__ import annotations


class RapporteurError(Exception):
    """A problem a maintainer can fix; printed as one line, no traceback."""

    def __init__(self, message: str, *, path: object | None = None, hint: str = "") -> None:
        self.path = str(path) if path is not None else None
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        text = super().__str__()
        if self.path and self.path not in text:
            text = f"{self.path}: {text}"
        if self.hint:
            text = f"{text} — {self.hint}"
        return text


class SessionError(RapporteurError):
    """session.yaml is missing, malformed or invalid."""


class FetchError(RapporteurError):
    """The recording could not be fetched or decoded."""


class ModelError(RapporteurError):
    """A model could not be found or loaded."""


class StageError(RapporteurError):
    """A stage failed on its input."""

"""One exception hierarchy. Every error says what went wrong and what would be valid.

Each class carries an HTTP-like ``code`` and ``status`` so the REST shim can translate
errors without knowing them one by one.

>>> from orchestria_lab.errors import InvalidValue
>>> err = InvalidValue("bpm", 900, "a number from 20 to 300")
>>> str(err)
'bpm=900 is not valid: expected a number from 20 to 300.'
>>> err.status
422
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class OrchestriaError(Exception):
    """Base of every error the toolkit raises on purpose."""

    code = "orchestria_error"
    status = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body the REST shim sends: ``{"code", "message", ...details}``."""
        return {"code": self.code, "message": self.message, **_jsonable(self.details)}


class InvalidValue(OrchestriaError, ValueError):
    """A value given at the door (bpm, key, bars, a parameter) is out of its valid set."""

    code = "invalid_value"
    status = 422

    def __init__(self, field: str, value: Any, expected: str, **details: Any) -> None:
        super().__init__(
            f"{field}={value!r} is not valid: expected {expected}.",
            field=field,
            value=value,
            expected=expected,
            **details,
        )


class NotFound(OrchestriaError, LookupError):
    """A session, version, stem, agent or file does not exist."""

    code = "not_found"
    status = 404

    def __init__(self, kind: str, name: Any, available: Iterable[Any] | None = None) -> None:
        shown = None if available is None else sorted(map(str, available))
        hint = ""
        if shown is not None:
            listed = ", ".join(shown[:20]) + (" ..." if len(shown) > 20 else "")
            hint = f" Available: {listed}." if shown else f" There are no {kind}s yet."
        super().__init__(f"No {kind} {name!r}.{hint}", kind=kind, name=name, available=shown)


class LimitExceeded(OrchestriaError):
    """Work larger than a configured bound (duration, stems, actions, render size): refused
    when it is asked for, before any of it is done. Says the limit, the value and the setting."""

    code = "limit_exceeded"
    status = 413

    def __init__(self, limit: str, value: float, maximum: float, *, setting: str, hint: str = "") -> None:
        super().__init__(
            f"{limit} would be {value:g}, over the limit of {maximum:g} (set by {setting}).{' ' + hint if hint else ''}",
            limit=limit, value=value, maximum=maximum, setting=setting,
        )


class VersionConflict(OrchestriaError):
    """Another writer made the version this writer meant to make; reload and retry."""

    code = "version_conflict"
    status = 409


class CommandNotUnderstood(OrchestriaError):
    """The text could not be turned into a plan. Carries what was understood and suggestions."""

    code = "command_not_understood"
    status = 422

    def __init__(
        self,
        text: str,
        *,
        reason: str,
        understood: Iterable[str] = (),
        suggestions: Iterable[str] = (),
    ) -> None:
        understood = list(understood)
        suggestions = list(suggestions)
        parts = [f"I did not understand {text!r}: {reason}"]
        if understood:
            parts.append("I understood: " + "; ".join(understood) + ".")
        if suggestions:
            parts.append("Try: " + " | ".join(f'"{s}"' for s in suggestions))
        super().__init__(
            " ".join(parts), text=text, reason=reason, understood=understood, suggestions=suggestions
        )
        self.text = text
        self.reason = reason
        self.understood = understood
        self.suggestions = suggestions


class EditError(OrchestriaError):
    """An Edit does not fit the State it is applied to (unknown stem, duplicate id ...)."""

    code = "invalid_edit"
    status = 409


class StoreError(OrchestriaError):
    """The store could not read or write (corrupt file, unsupported schema ...)."""

    code = "store_error"
    status = 500


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)

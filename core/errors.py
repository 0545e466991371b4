"""Errors that services raise and that pages and the API turn into answers."""

from __future__ import annotations


class BusinessError(Exception):
    status = 400

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class ValidationError(BusinessError):
    """Invalid field values (422): ``errors`` maps each bad field to its reasons."""

    status = 422

    @classmethod
    def field(cls, name: str, reason: str) -> ValidationError:
        return cls(reason, errors={name: [reason]})


class Conflict(BusinessError):
    """The action is not allowed in the record's current state, or a concurrent change
    won (409)."""

    status = 409


def check_version(record, version: int | None) -> None:
    """Optimistic locking for edit forms and PATCH: ``version`` is the one the user read;
    if the record changed since, refuse (409) rather than overwrite someone's work."""
    if version is not None and version != record.version:
        from flask_babel import gettext as _

        raise Conflict(_("This record was changed by someone else since you opened it. "
                         "Reload it to see their changes, then apply yours again."))

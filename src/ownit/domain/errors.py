"""Errors the domain raises; each names what is wrong in words a user understands."""

from __future__ import annotations


class DomainError(Exception):
    """Base of the rule violations the domain reports."""


class FieldError(DomainError):
    """A request the rules refuse because of one input: ``field`` names it, ``detail`` says
    what is wrong with it (an API answers with a problem document naming the field)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class InvalidTransition(DomainError):
    """An incident or alert cannot move from its status to the one asked for."""


class NotFound(DomainError):
    """A named thing does not exist."""

    def __init__(self, kind: str, ident: str) -> None:
        super().__init__(f"{kind} {ident!r} does not exist")
        self.kind = kind
        self.ident = ident


class Forbidden(DomainError):
    """The actor may not do this."""

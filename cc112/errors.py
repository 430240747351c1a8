"""The one domain error family. The portal and the API each map it in one place."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses, with a message fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransitionRefused(DomainError):
    """A status change that the allowed-transitions table does not contain."""

    def __init__(self, entity: str, current: str, target: str, message: str) -> None:
        super().__init__(message)
        self.entity = entity
        self.current = current
        self.target = target


class ActionForbidden(DomainError):
    """The actor may see the object but may not do this to it."""

"""Domain services: the rules of the portal, free of HTTP, callable from views, CLI and tests."""


class DomainError(Exception):
    """A rule was broken; the message is shown to the user as is (Simplified Chinese)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The form field the error belongs to, when there is one.
        self.field = field

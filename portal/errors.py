"""Domain errors raised by services; the API and views turn them into answers a person can read."""


class DomainError(Exception):
    """Base for errors a service raises on purpose. ``message`` is shown to the user as is."""

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid", link: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.link = link


class IllegalTransition(DomainError):
    """The object is not in a state that allows this move (answered 409)."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "illegal_transition", link: str | None = None):
        super().__init__(message, code=code, link=link)


class Conflict(DomainError):
    """The request clashes with something stored already, e.g. a duplicate open complaint (answered 409)."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "conflict", link: str | None = None):
        super().__init__(message, code=code, link=link)

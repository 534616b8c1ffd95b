"""Errors a user can fix (an unknown unit code, nothing to forecast): shown without a trace."""


class UserError(Exception):
    """A request that cannot be carried out as asked; the message says why and what to do."""

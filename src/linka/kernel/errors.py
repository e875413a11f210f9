"""The root of every error linka raises on purpose.

A ``LinkaError`` is meant to be shown to a user as is: its message says what was wrong
and, where it applies, which file, row and field, and what was expected.
"""


class LinkaError(Exception):
    """An error with a message fit for the user; the CLI prints it without a traceback."""

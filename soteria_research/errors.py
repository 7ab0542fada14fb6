"""The exceptions a user can cause, one hierarchy so callers can catch them all.

Every message says what went wrong, where (file, row, column) and how to fix it.
"""

from __future__ import annotations


class SoteriaError(Exception):
    """Base class for mistakes a user can make (bad file, bad parameter, unknown code)."""


class DataValidationError(SoteriaError):
    """A file or frame cannot be used at all: unreadable, empty, or a required column missing."""


class MappingError(SoteriaError):
    """A mapping file (force export -> canonical columns) is malformed."""


class ParameterError(SoteriaError, ValueError):
    """A function or notebook parameter is invalid (unknown force, bad date, bad profile)."""


class DisclosureError(SoteriaError):
    """An output would break disclosure control and cannot be released."""


class KeyFileError(SoteriaError):
    """A pseudonymisation key is missing, too short or unreadable."""


class ModelError(SoteriaError):
    """A model cannot be fitted on the data given (no events, no covariates, bad formula)."""

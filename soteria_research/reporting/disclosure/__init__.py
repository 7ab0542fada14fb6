"""Statistical disclosure control: every number a run publishes passes through here once.

The engine (new code uses this)
-------------------------------
Each table declares its structure in a :class:`TableSpec` (keys, counts with their *quantity
identities*, rates with numerator and denominator, complete category lists, totals published
elsewhere, structural zeros, headline figures); nothing is guessed from column names. Every
report of a run registers its tables with one :class:`RunProtection` before anything is
written; :meth:`RunProtection.solve` protects them together (the same quantity is one cell
wherever it appears; additivity follows from the identities), choosing secondary suppressions
by optimisation (:mod:`.suppression`); :meth:`RunProtection.table` gives each report its
protected tables. :func:`attack` is the attacker the tests use: integer/linear programming over
everything the run publishes.

Modules: ``profiles`` (publication / partner / internal), ``spec`` (TableSpec, Count, Rate),
``cells`` (the run's cell system), ``suppression`` (primary + secondary by optimisation),
``rounding`` (published counts, shares and intervals from published counts), ``run``
(RunProtection), ``attacker``, ``curves``, ``models``, ``records`` (disclosure.json,
appendix), ``text`` (free text), ``scan`` (a check of finished files).

The old engine (``legacy``, to be deleted)
------------------------------------------
``DisclosureControl``, ``protect``, ``protect_linked`` and ``LinkedProtection`` are the previous
name-guessing engine, kept in :mod:`.legacy` only until the reports register their tables with
``RunProtection``.
"""

from .attacker import attack, disclosures
from .curves import protect_curve
from .legacy import DisclosureControl, LinkedProtection, protect, protect_linked
from .models import protect_model
from .profiles import (
    INTERNAL_LABEL,
    MARKER,
    PROFILES,
    DisclosureProfile,
    get_profile,
    round_to_base,
)
from .records import OutputRecord, ProtectedTable
from .run import RunProtection, protect_table
from .scan import scan_for_disclosive_counts
from .spec import Count, Rate, TableSpec, identity, share_of
from .text import period_text, safe_text

__all__ = [
    "INTERNAL_LABEL",
    "MARKER",
    "PROFILES",
    "Count",
    "DisclosureControl",
    "DisclosureProfile",
    "LinkedProtection",
    "OutputRecord",
    "ProtectedTable",
    "Rate",
    "RunProtection",
    "TableSpec",
    "attack",
    "disclosures",
    "get_profile",
    "identity",
    "period_text",
    "protect",
    "protect_curve",
    "protect_linked",
    "protect_model",
    "protect_table",
    "round_to_base",
    "safe_text",
    "scan_for_disclosive_counts",
    "share_of",
]

"""Statistical disclosure control (placeholder while the package is being built)."""

from .curves import protect_curve
from .legacy import (
    DisclosureControl,
    LinkedProtection,
    protect,
    protect_linked,
)
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
from .scan import scan_for_disclosive_counts

__all__ = ["INTERNAL_LABEL", "MARKER", "PROFILES", "DisclosureControl", "DisclosureProfile",
           "LinkedProtection", "OutputRecord", "ProtectedTable", "get_profile", "protect",
           "protect_curve", "protect_linked", "protect_model", "round_to_base",
           "scan_for_disclosive_counts"]

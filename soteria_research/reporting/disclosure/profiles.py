"""Disclosure profiles: the thresholds and rules a run applies to everything it publishes.

``publication`` (open release), ``partner`` (sharing with a named partner under agreement) and
``internal`` (the research team only: nothing suppressed, every output labelled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import ParameterError
from ...settings import DISCLOSURE_PROFILES

__all__ = ["INTERNAL_LABEL", "MARKER", "PROFILES", "DisclosureProfile", "get_profile",
           "round_to_base"]

#: What a reader sees in a suppressed cell: ONS's "[c]" (confidential).
MARKER = "[c]"
#: The label every output of the ``internal`` profile carries.
INTERNAL_LABEL = "INTERNAL – not for release"


@dataclass(frozen=True)
class DisclosureProfile:
    """A risk appetite: the thresholds and rules applied to every output.

    Attributes
    ----------
    threshold : int
        Counts from 1 to ``threshold - 1`` are hidden (primary suppression).
    zeros_disclosive : bool
        Whether zeros are hidden too (unless they are structural: impossible by definition).
    round_base : int or None
        Published counts are rounded to this base (after suppression).
    survival_threshold : int
        Each published curve step rests on at least this many events; curves stop where fewer
        remain at risk.
    min_dof : int
        Models with fewer residual degrees of freedom are withheld.
    suppress : bool
        False only for ``internal``: nothing is hidden, every output is labelled.
    protection : int
        Protection level of a hidden small count: an attacker holding every published file must
        not be able to rule out the values ``protection`` above it (and below it, down to 0).
        1 (the default): no hidden count can be worked out exactly, the rule of frequency tables
        under a threshold. Both engines (the reports' and the run-level one) read it; a larger
        level asks more and costs more (measured in ``docs/methods.md`` §8). A count left to
        the rounding keeps at least the rounding base's width whatever this is.

    Examples
    --------
    >>> get_profile("publication").threshold
    10
    """

    name: str
    threshold: int
    zeros_disclosive: bool
    round_base: int | None
    survival_threshold: int
    min_dof: int
    suppress: bool = True
    label: str | None = None
    protection: int = 1

    def is_disclosive(self, values) -> np.ndarray:
        """True for counts that primary suppression hides (small, or zero when zeros count).

        Examples
        --------
        >>> get_profile("partner").is_disclosive([0, 3, 12]).tolist()
        [False, True, False]
        """
        values = np.asarray(values, dtype=float)
        small = (values > 0) & (values < self.threshold)
        if self.zeros_disclosive:
            small |= values == 0
        return small & self.suppress


PROFILES: dict[str, DisclosureProfile] = {
    "publication": DisclosureProfile("publication", 10, True, 5, 10, 10),
    "partner": DisclosureProfile("partner", 10, False, None, 10, 10),
    "internal": DisclosureProfile("internal", 0, False, None, 0, 0, suppress=False,
                                  label=INTERNAL_LABEL, protection=0),
}


def get_profile(profile: str | DisclosureProfile | None = None) -> DisclosureProfile:
    """The named profile, or the one ``SOTERIA_DISCLOSURE`` selects when ``profile`` is None.

    Examples
    --------
    >>> get_profile("partner").round_base is None
    True
    """
    if isinstance(profile, DisclosureProfile):
        return profile
    if profile is None:
        from ...settings import get_settings

        profile = get_settings().disclosure
    if profile not in PROFILES:
        raise ParameterError(
            f"disclosure profile {profile!r} is unknown; use one of "
            f"{', '.join(DISCLOSURE_PROFILES)} (parameter `profile=` or the SOTERIA_DISCLOSURE "
            "environment variable)."
        )
    return PROFILES[profile]


def round_to_base(values, base: int | None):
    """Round counts to the nearest multiple of ``base`` (halves up); NaN stays NaN.

    Examples
    --------
    >>> round_to_base(np.array([10, 12, 13, 17.5]), 5).tolist()
    [10.0, 10.0, 15.0, 20.0]
    """
    values = np.asarray(values, dtype=float)
    if not base:
        return values
    return np.floor(values / base + 0.5) * base

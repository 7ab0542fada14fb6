"""The outcome registry: outcome names and their Home Office codes, from the data dictionary alone.

Every function that takes an outcome (``cause=``, ``outcome=``, ``outcomes=``) checks it here.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..data.dictionary import load_dictionary
from ..errors import ParameterError

__all__ = [
    "CENSORED",
    "NOT_ENDED",
    "check_outcome",
    "competing_risks",
    "outcome_codes",
    "outcome_groups",
    "outcome_label",
]

#: The label of a censored row in an ``outcome`` column.
CENSORED = "censored"
#: The outcome groups that do not end a case: still open, or transferred to another body
#: (censored on the transfer day, ``docs/domain.md``). Every other outcome ends it: the
#: timeliness table's "report to any outcome" counts those, so it is the crimes recorded less
#: these two.
NOT_ENDED = ("open", "transferred")


def competing_risks() -> list[str]:
    """The competing outcomes, in the dictionary's order.

    Examples
    --------
    >>> competing_risks()
    ['charge', 'victim_withdrawal', 'evidential_difficulty', 'no_suspect', 'other']
    """
    return load_dictionary().competing_risks


def outcome_groups() -> list[str]:
    """The analytic outcome groups a case can end in (``open`` included, ``invalid`` not).

    Examples
    --------
    >>> outcome_groups()[:3]
    ['charge', 'victim_withdrawal', 'evidential_difficulty']
    """
    groups = load_dictionary().codelists["outcome_groups"]
    return groups.loc[groups["competing_risk"].notna(), "code"].tolist()


def outcome_codes(outcome: str) -> list[str]:
    """The Home Office outcome codes of an outcome group or a competing risk.

    Examples
    --------
    >>> outcome_codes("victim_withdrawal")
    ['14', '16']
    >>> outcome_codes("charge")
    ['1', '1A']
    """
    dictionary = load_dictionary()
    outcome = check_outcome(outcome, allowed=[*outcome_groups(), *competing_risks()])
    groups = [g for g, risk in dictionary.competing_risk_map.items() if outcome in (g, risk)]
    codes = dictionary.outcome_codes
    return codes.loc[codes["outcome_group"].isin(groups), "code"].tolist()


def outcome_label(outcome: str) -> str:
    """The plain label of an outcome group or competing risk, from the dictionary.

    Examples
    --------
    >>> outcome_label("evidential_difficulty")
    'Evidential difficulties (victim supports action)'
    """
    groups = load_dictionary().codelists["outcome_groups"].set_index("code")["label"]
    if outcome in groups.index:
        return str(groups[outcome])
    if outcome == "other":
        return "Other outcomes (out-of-court disposal, prosecution prevented or not in the " \
               "public interest)"
    return str(outcome).replace("_", " ").capitalize()


def did_you_mean(name: object, choices: Iterable[object]) -> str:
    """" Did you mean X?" for the closest of ``choices``, or an empty string.

    A choice that contains the name (``withdrawal`` in ``victim_withdrawal``) or that the name
    contains wins; otherwise the closest by spelling.

    Examples
    --------
    >>> did_you_mean("withdrawal", competing_risks())
    ' Did you mean victim_withdrawal?'
    """
    text = str(name).lower()
    options = [str(c) for c in dict.fromkeys(choices) if str(c).lower() != text]
    inside = [c for c in options if text and (text in c.lower() or c.lower() in text)]
    close = inside or difflib.get_close_matches(text, options, n=1, cutoff=0.6)
    return f" Did you mean {close[0]}?" if close else ""


def check_outcome(name: object, *, allowed: Iterable[object] | None = None,
                  parameter: str = "outcome") -> str:
    """Return ``name`` when it is one of the ``allowed`` outcomes; else a clear error.

    Parameters
    ----------
    name : str
        The outcome a caller asked for.
    allowed : iterable of str, optional
        The outcomes that make sense here; default the competing risks of the dictionary.
    parameter : str
        The parameter's name, for the message.

    Raises
    ------
    ParameterError
        Naming the allowed outcomes and the closest one ("did you mean victim_withdrawal?").

    Examples
    --------
    >>> check_outcome("charge")
    'charge'
    >>> check_outcome("withdrawal", parameter="cause")
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: cause='withdrawal' is not an outcome of the data dictionary. Did you mean victim_withdrawal? Use one of: charge, victim_withdrawal, evidential_difficulty, no_suspect, other.
    """
    options = list(allowed) if allowed is not None else competing_risks()
    if name in options:
        return name  # type: ignore[return-value]
    raise ParameterError(
        f"{parameter}={name!r} is not an outcome of the data dictionary."
        f"{did_you_mean(name, options)} Use one of: {', '.join(map(str, options))}."
    )

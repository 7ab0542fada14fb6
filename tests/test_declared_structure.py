"""Tables declare their structure (issue 16): which columns are keys, counts, rates and one
person's values is said by the caller, never guessed from column names, so a renamed column
cannot change what is suppressed. Reports protect every table this way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soteria_research import ParameterError
from soteria_research.reporting.disclosure import DisclosureControl, protect, protect_linked

COLUMNS = ("within_days", "n", "n_withdrawals", "estimate", "max")


def withdrawal_timing(n) -> pd.DataFrame:
    """Withdrawals within 30, 90 and 365 days of report (nested windows), out of the same
    withdrawals, with each window's share and the longest time a victim took (one person's)."""
    n = np.maximum.accumulate(np.asarray(n, dtype=int))
    total = int(n[-1]) + 5
    return pd.DataFrame({"within_days": [30, 90, 365], "n": n, "n_withdrawals": total,
                         "estimate": n / total, "max": [29, 88, 360]})


def declared(names: dict[str, str]) -> dict:
    """The declared structure of ``withdrawal_timing``, its columns renamed by ``names``."""
    return {"keys": [names["within_days"]], "counts": [names["n"], names["n_withdrawals"]],
            "rates": {names["estimate"]: (names["n"], names["n_withdrawals"])},
            "extremes": [names["max"]], "columns_add_up": False, "kind": "rates"}


def _protected(frame: pd.DataFrame, names: dict[str, str], **options):
    back = {v: k for k, v in names.items()}
    result = protect(frame.rename(columns=names), name="withdrawal_timing",
                     profile="publication", **options)
    return result.frame.rename(columns=back), result.mask.rename(columns=back)


IDENTITY = dict(zip(COLUMNS, COLUMNS))
RENAMED = {"within_days": "window", "n": "withdrew", "n_withdrawals": "victims",
           "estimate": "proportion", "max": "longest"}


def test_a_renamed_column_changed_what_was_suppressed_when_it_was_guessed():
    """The fault this guards against: guessed from names, the period key renamed "window" is
    hidden like a rate, and the longest time renamed "longest" is no longer taken as one
    person's value and is published."""
    frame = withdrawal_timing([4, 30, 60])
    options = {"counts": ["n", "n_withdrawals"], "kind": "rates", "columns_add_up": False,
               "rates": {"estimate": ("n", "n_withdrawals")}}
    renamed_options = {**options, "counts": ["withdrew", "victims"],
                       "rates": {"proportion": ("withdrew", "victims")}}
    _, mask = _protected(frame, IDENTITY, **options)
    _, renamed = _protected(frame, RENAMED, **renamed_options)
    assert mask["max"].all() and not renamed["max"].all()
    assert not mask["within_days"].any() and renamed["within_days"].any()


@settings(max_examples=40, deadline=None)
@given(n=st.lists(st.integers(0, 80), min_size=3, max_size=3),
       names=st.lists(st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True), min_size=5,
                      max_size=5, unique=True))
def test_declared_structure_suppresses_the_same_cells_whatever_the_columns_are_called(n, names):
    frame = withdrawal_timing(n)
    renamed = dict(zip(COLUMNS, names))
    plain, mask = _protected(frame, IDENTITY, declared=True, **declared(IDENTITY))
    other, other_mask = _protected(frame, renamed, declared=True, **declared(renamed))
    pd.testing.assert_frame_equal(mask, other_mask)
    pd.testing.assert_frame_equal(plain, other)
    assert mask["max"].all()  # one person's value: never published
    assert not mask["within_days"].any()  # a key: never hidden


def test_undeclared_structure_is_refused_with_what_to_declare():
    frame = withdrawal_timing([4, 30, 60])
    options = declared(IDENTITY)
    with pytest.raises(ParameterError, match=r"declare the count columns"):
        protect(frame, name="t", declared=True, **{**options, "counts": None})
    with pytest.raises(ParameterError, match=r"\['within_days'\] are not declared.*keys="):
        protect(frame, name="t", declared=True, **{**options, "keys": []})
    with pytest.raises(ParameterError, match=r"\['max'\] are not declared.*extremes="):
        protect(frame, name="t", declared=True, **{**options, "extremes": []})
    with pytest.raises(ParameterError, match=r"columns_add_up=True"):
        protect(frame, name="t", declared=True, **{**options, "columns_add_up": None})


def test_a_report_refuses_a_table_whose_structure_it_was_not_told():
    """Reports protect with ``DisclosureControl(declared=True)``; an analyst's own session
    keeps the guessing, for a quick look."""
    frame = withdrawal_timing([4, 30, 60])
    report = DisclosureControl(profile="publication", declared=True)
    with pytest.raises(ParameterError, match="not declared"):
        report.protect(frame, name="withdrawal_timing", counts=["n", "n_withdrawals"],
                       rates={"estimate": ("n", "n_withdrawals")}, kind="rates",
                       columns_add_up=False)
    shown = report.protect(frame, name="withdrawal_timing", **declared(IDENTITY)).display()
    assert (shown["max"] == "[c]").all() and shown["within_days"].tolist() == [30, 90, 365]
    looking = DisclosureControl(profile="publication")
    assert looking.protect(frame, name="withdrawal_timing", counts=["n", "n_withdrawals"],
                           kind="rates", rates={"estimate": ("n", "n_withdrawals")}
                           ).mask["max"].all()


def test_linked_tables_keep_a_declared_numeric_key_as_a_key():
    """A run's linked table with a numeric key split by ``by`` (arrests within 7, 30 days):
    each force's report finds its rows by that key."""
    rows = []
    for force, n in (("a", [3, 8]), ("b", [40, 60]), ("c", [35, 70])):
        for days, k in zip((7, 30), n):
            rows.append({"force": force, "window": days, "n": k, "n_suspects": 90,
                         "estimate": k / 90})
    table = pd.DataFrame(rows)
    linked = protect_linked({"arrests": (table, {
        "kind": "rates", "counts": ["n", "n_suspects"], "by": ["window"],
        "rates": {"estimate": ("n", "n_suspects")}, "columns_add_up": False})},
        profile="partner", declared=True)
    assert "window" in linked.tables["arrests"]["keys"]
    mine = table[table["force"].eq("a")].drop(columns="force")
    shown = DisclosureControl(profile="partner", linked=linked, force="a",
                              declared=True).protect(mine, name="arrests").display()
    assert shown["window"].tolist() == [7, 30] and (shown["n"] == "[c]").all()


def test_the_funnels_share_of_recorded_is_of_the_published_counts():
    """Issue 16, item 11: a share printed beside rounded counts is their ratio, or it undoes
    the rounding (a national funnel printed 90 charged, 3.0% convicted and 9.4% charged of
    the recorded crimes: no rounded counts give both). Hidden where either count is hidden."""
    from soteria_research.reporting.national import FUNNEL_PROTECTION

    stages = ["recorded", "suspect_identified", "arrested_or_interviewed", "referred_to_cps",
              "charged", "convicted"]
    rows = []
    for group, counts in (("rape", [332, 244, 171, 61, 31, 12]),
                          ("other_sexual", [958, 600, 402, 151, 92, 8])):
        for k, (stage, n) in enumerate(zip(stages, counts)):
            rows.append({"offence_group": group, "stage": stage, "n": n,
                         "share_of_recorded": n / counts[0],
                         "share_of_previous": n / counts[k - 1] if k else np.nan,
                         "n_previous": counts[k - 1] if k else np.nan})
    funnel = pd.DataFrame(rows)
    protected = protect(funnel, name="funnel", profile="publication", declared=True,
                        keys=["offence_group"], **FUNNEL_PROTECTION)
    frame, mask = protected.frame, protected.mask
    published = np.floor(funnel["n"] / 5 + 0.5) * 5  # round half up to base 5
    recorded = published.groupby(funnel["offence_group"]).transform("first")
    shown = ~mask["share_of_recorded"].to_numpy()
    np.testing.assert_allclose(frame["share_of_recorded"].to_numpy()[shown],
                               (published / recorded).to_numpy()[shown])
    assert shown.sum() >= 8  # most shares are printed
    hidden_n = mask["n"].to_numpy()
    assert hidden_n.any() and not (shown & hidden_n).any()
    # the true-count share (8 / 958 = 0.84%) is never what is printed
    assert 244 / 332 not in frame["share_of_recorded"].tolist()

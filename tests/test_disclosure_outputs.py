"""Nothing read off: curves, model notes, free text and the published log."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from soteria_research.reporting.disclosure import (
    MARKER,
    RunProtection,
    TableSpec,
    period_text,
    protect_curve,
    protect_model,
    safe_text,
)


def test_a_curve_never_starts_with_a_row_resting_on_no_events():
    curve = pd.DataFrame({"outcome": "charge", "time": [30, 90, 180, 365],
                          "cif": [0.0, 0.02, 0.05, 0.09], "n_at_risk": [400, 380, 300, 200],
                          "n_events": [0, 12, 25, 40]})
    shown = protect_curve(curve, profile="publication").frame
    assert shown["time"].tolist() == [90, 180, 365]
    assert (shown["cif"] > 0).all()  # no published "0.0%" resting on no events


def test_model_notes_echo_no_count():
    terms = pd.DataFrame({"term": ["a", "b"], "estimate": [1.2, 0.8], "n": [40, 60]})
    withheld = protect_model(terms, df_resid=6, profile="publication")
    assert withheld.record.status == "withheld"
    assert not any(ch.isdigit() and ch != "1" for ch in withheld.record.notes[0]
                   .replace("10", ""))
    hidden = protect_model(terms.assign(n=[7, 60]), df_resid=200, profile="publication")
    assert hidden.display().loc[0, "estimate"] == MARKER


def test_free_text_keeps_the_requested_period_and_drops_small_counts():
    assert period_text("2021-04-01", "2024-03-31") == "2021-04-01 to 2024-03-31"
    note = "Cause 'charge' holds 3 events (first case 2021-05-03); 0 withdrawals; 2021 cohort."
    text = safe_text(note, profile="publication", allowed_dates=["2021-04-01"])
    assert "3" not in text.replace("2021", "") and "2021-05-03" not in text
    assert "2021 cohort" in text and text.count(MARKER) == 2
    assert safe_text(note, profile="internal") == note


def test_the_published_log_says_what_was_hidden_not_why(tmp_path):
    frame = pd.DataFrame({"outcome_group": ["charge", "withdrawal", "other"], "n": [4, 30, 52]})
    spec = TableSpec(keys=("outcome_group",), counts=("n",),
                     categories={"outcome_group": ("charge", "withdrawal", "other")},
                     totals=("outcome_group",))
    for profile, detailed in (("publication", False), ("partner", True)):
        run = RunProtection(profile)
        run.register("durham", "outcome_mix", frame, spec)
        run.solve()
        log = json.loads(run.write_log("durham", tmp_path / profile).read_text())
        entry = log["outputs"][0]
        assert entry["cells_suppressed"] == 2
        assert ("primary_suppressed" in entry) == detailed
        assert "Disclosure control" in run.appendix("durham")


def test_internal_profile_hides_nothing_and_labels_everything():
    frame = pd.DataFrame({"outcome_group": ["charge", "other"], "n": [0, 4]})
    spec = TableSpec(keys=("outcome_group",), counts=("n",))
    run = RunProtection("internal")
    run.register("r", "t", frame, spec)
    protected = run.solve().table("r", "t")
    assert protected.display()["n"].tolist() == [0, 4]
    assert protected.frame.attrs["label"].startswith("INTERNAL")
    assert np.isfinite(protected.frame["n"]).all()


def test_a_table_whose_only_bound_is_infinite_displays_instead_of_failing():
    # A month of one force: the median days a device is held has no upper end (inf) and every
    # other interval is blank; the column is not a column of whole numbers (the report failed
    # with "cannot convert float infinity to integer").
    import numpy as np
    import pandas as pd

    from soteria_research.reporting.disclosure import protect

    table = pd.DataFrame({"measure": ["request_share", "median_days_held"],
                          "estimate": [np.nan, 180.0], "ci_low": [np.nan, 22.0],
                          "ci_high": [np.nan, np.inf], "n": [0, 6]})
    shown = protect(table, counts=["n"], rates={"estimate": (None, "n")},
                    profile="internal").display()
    assert shown.loc[1, "ci_high"] == np.inf

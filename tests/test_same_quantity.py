"""Issue 16, item 7: a report column that prints a linked quantity under another name is
declared once (``reporting/same_quantity.py``) and hidden wherever the run's linked tables
hide that quantity, with what gives it back; ``disclosure.json`` counts those cells.

The declarations are checked against the tables the package really builds (a renamed column
or code fails here, not silently in a report), and the hiding on tables made up here, whose
expected cells are worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soteria_research.reporting.disclosure import DisclosureControl
from soteria_research.reporting.national import share_of
from soteria_research.reporting.same_quantity import SAME_QUANTITIES, hide_same_quantities


@pytest.fixture(scope="module")
def cases() -> pd.DataFrame:
    from soteria_research.data.synthetic import generate_cases

    return generate_cases(forces=["cumbria", "dyfed_powys"], scale=0.05, seed=3)


@pytest.fixture(scope="module")
def report_tables(cases) -> dict[str, pd.DataFrame]:
    from soteria_research.analysis import pillars
    from soteria_research.analysis.drivers import drivers
    from soteria_research.reporting.programme_section import _pooled, force_cohorts

    one = cases[cases["force"].eq("cumbria")]
    return {"withdrawal_stage": pillars.withdrawal_stage(one),
            "repeat_suspects": pillars.repeat_suspects(one),
            "device_requests": pillars.device_requests(one),
            "officer_caseload": pillars.officer_caseload(one),
            "drivers": drivers(one).table,
            "programme_force_before_after": _pooled(force_cohorts(cases, "cumbria"))}


def test_every_declaration_names_real_columns_rows_and_linked_cells(cases, report_tables):
    from soteria_research.reporting.national import _linked_tables

    linked = _linked_tables(cases, None, pd.DataFrame())
    for same in SAME_QUANTITIES:
        table = report_tables[same.table]
        assert same.column in table.columns, same
        assert set(same.hidden_with) <= set(table.columns), same
        for key, value in same.rows:
            values = set(table[key].astype(str))
            if same.table == "drivers":  # the reference level has no term of its own
                groups = table["term"].astype(str).str.startswith("offence_group[")
                values |= {f"offence_group[T.{r.split()[-1]}]"  # "against rape"
                           for r in table.loc[groups, "reference"]}
            assert value in values, same
        frame = linked[same.linked][0]
        assert same.linked_column in frame.columns, same
        rows = frame["force"].eq("cumbria")
        for key, value in same.where:
            rows &= frame[key].astype(str).eq(value)
        assert rows.sum() >= 1, same
        # the declared quantity is that linked cell: the same number, or (every year of the
        # trends) the sum of the cells
        printed = table.loc[_rows_of(table, same.rows), same.column]
        if same.linked == "cohort_trends":
            continue  # the programme's and the forensics' cohorts: checked below
        assert (printed == frame.loc[rows, same.linked_column].sum()).all(), same


def _rows_of(table: pd.DataFrame, rows) -> pd.Series:
    chosen = pd.Series(True, index=table.index)
    for key, value in rows:
        chosen &= table[key].astype(str).eq(value)
    return chosen


def test_the_trend_years_together_are_what_the_programme_and_forensics_print(cases,
                                                                             report_tables):
    """The programme's before and after and the forensics table's share of requests count the
    trend years' cases, no more (docs/methods.md section 8: one cohort of cases followed for
    a year; tests/test_one_cohort.py checks it against a count by hand)."""
    from soteria_research.reporting.national import _linked_tables

    trends = _linked_tables(cases, None, pd.DataFrame())["cohort_trends"][0]
    own = trends[trends["force"].eq("cumbria") & ~trends["cohort"].eq("all")]  # the years
    years = own.loc[own["outcome"].eq("all"), "n"].sum()
    charged = own.loc[own["outcome"].eq("charge"), "n"].sum()
    pooled = report_tables["programme_force_before_after"]
    assert pooled["n_cohort"].sum() == years
    assert pooled["n"].sum() == charged
    device = report_tables["device_requests"].set_index("measure")
    assert device.loc["request_share", "n"] == years


def _withdrawal_stage() -> pd.DataFrame:
    stages = ["recorded", "suspect_identified", "arrested_or_interviewed", "referred_to_cps"]
    n = np.array([60, 30, 20, 12])
    total = n.sum()
    return pd.DataFrame({"stage": stages, "n": n, "n_withdrawals": total,
                         "estimate": n / total, "ci_low": n / total - 0.05,
                         "ci_high": n / total + 0.05, "median_days": [20.0, 40, 80, 150]})


def _protected_stage(profile="partner"):
    dc = DisclosureControl(profile=profile, declared=True)
    return dc.protect(_withdrawal_stage(), name="withdrawal_stage", kind="rates",
                      counts=["n", "n_withdrawals"],
                      rates={**share_of("n", "n_withdrawals"), "median_days": ("n", None)},
                      columns_add_up=False)


def test_out_of_hidden_with_its_shares_and_the_largest_stage_and_counted_once():
    protected = _protected_stage()
    assert not protected.mask.to_numpy().any()  # nothing small: nothing hidden alone
    asked = []

    def hidden(table, column, **where):
        asked.append((table, column, where))
        return table == "outcome_mix" and where.get("outcome_group") == "victim_withdrawal"

    assert hide_same_quantities(protected, "withdrawal_stage", hidden) == 4 * 4 + 2
    mask = protected.mask
    for column in ("n_withdrawals", "estimate", "ci_low", "ci_high"):
        assert mask[column].all() and protected.frame[column].isna().all()
    # the stages' counts add up to the hidden 122: the largest (60, recorded) goes too
    assert mask["n"].tolist() == [True, False, False, False]
    assert mask["median_days"].tolist() == [True, False, False, False]
    assert protected.frame["n"].tolist()[1:] == [30, 20, 12]
    assert asked == [("outcome_mix", "n", {"offence_group": "all",
                                           "outcome_group": "victim_withdrawal"})]
    record = protected.record.to_dict()
    assert record["status"] == "suppressed"
    assert record["secondary_suppressed"] == 4 + 1  # Out of in each row, the largest count
    assert record["derived_suppressed"] == 3 * 4 + 1  # the shares, the largest's median
    assert "hide the same quantity" in record["notes"][-1]
    # applied again (show() of a table protect() already handled): nothing more, no recount
    assert hide_same_quantities(protected, "withdrawal_stage", hidden) == 0
    assert protected.record.to_dict()["secondary_suppressed"] == 5


def test_nothing_hidden_where_the_linked_cell_is_published():
    protected = _protected_stage()
    assert hide_same_quantities(protected, "withdrawal_stage", lambda *a, **k: False) == 0
    assert not protected.mask.to_numpy().any()
    assert protected.record.status == "pass"


def test_publication_log_says_what_not_why():
    protected = _protected_stage("publication")
    hide_same_quantities(protected, "withdrawal_stage", lambda t, c, **w: t == "outcome_mix")
    assert protected.record.notes[-1].endswith("hide the same quantity")


def test_a_driver_term_is_one_count_in_every_model_and_the_offence_group_its_recorded():
    terms = ["offence_group[T.rape]", "victim_age_band[T.18-24]"]
    rows = [(outcome, model, term) for outcome in ("charge", "withdrawal")
            for model in ("cause_specific", "fine_gray") for term in terms]
    frame = pd.DataFrame(rows, columns=["outcome", "model", "term"])
    frame["estimate"] = 1.2
    frame["n"] = np.where(frame["term"].eq(terms[0]), 222.0, 80.0)
    dc = DisclosureControl(profile="partner", declared=True)
    protected = dc.protect(frame, name="drivers", kind="model", df_resid=500)
    assert not protected.mask["n"].any()
    protected.mask.loc[3, "n"] = True  # one model hid the age band's cases (few events there)
    protected.frame.loc[3, "n"] = np.nan

    def recorded_hidden(table, column, **where):
        return table == "headline_recorded" and where == {"offence_group": "rape"}

    hide_same_quantities(protected, "drivers", recorded_hidden)
    assert protected.mask["n"].all()  # the rape term's cases everywhere, the age band's too
    assert not protected.mask["estimate"].any()


class _Linked:
    """The stored form of linked tables (``LinkedProtection.tables``), for the helpers."""

    def __init__(self, **tables):
        self.tables = {name: {"columns": list(frame.columns),
                              "rows": frame.astype(object).to_numpy().tolist(),
                              "mask": mask.to_numpy().tolist()}
                       for name, (frame, mask) in tables.items()}
        self._frames = {}

    def frame(self, name):
        entry = self.tables[name]
        return (pd.DataFrame(entry["rows"], columns=entry["columns"]),
                pd.DataFrame(entry["mask"], columns=entry["columns"]))


def test_the_funnels_crimes_recorded_is_hidden_where_the_headline_hides_it():
    """Run of nine small forces, partner: the headline hid Bedfordshire's 263 crimes recorded to
    protect City of London's 4; the funnel printed 263 (and 74.1% of it identified a suspect),
    and City of London's 4 followed from the national total."""
    from soteria_research.reporting.disclosure.linked_shares import hide_where_hidden

    recorded = pd.DataFrame({"force": ["beds", "city", "kent", "dorset"], "offence_group": "all",
                             "count": [263, 4, 900, 50]})
    recorded_mask = pd.DataFrame({"force": False, "offence_group": False,
                                  "count": [True, True, False, True]})
    stages = ["recorded", "suspect_identified", "charged"]
    # Dorset: every case named a suspect, so the charged stage's previous count is 50 too,
    # though it is the (printed) suspect-identified count, not the crimes recorded
    n = {"beds": [263, 195, 20], "city": [4, 3, 0], "kent": [900, 700, 60],
         "dorset": [50, 50, 12]}
    rows = [(f, "all", s, n[f][i], n[f][i] / n[f][0], n[f][i] / n[f][i - 1] if i else None,
             n[f][i - 1] if i else None) for f in n for i, s in enumerate(stages)]
    funnel = pd.DataFrame(rows, columns=["force", "offence_group", "stage", "n",
                                         "share_of_recorded", "share_of_previous",
                                         "n_previous"])
    funnel_mask = pd.DataFrame(False, index=funnel.index, columns=funnel.columns)
    funnel_mask.loc[funnel["force"].eq("city"), ["n", "share_of_recorded",
                                                 "share_of_previous", "n_previous"]] = True
    linked = _Linked(headline_recorded=(recorded, recorded_mask), funnel=(funnel, funnel_mask))
    options = dict(column="n", where={"stage": "recorded"}, source_table="headline_recorded",
                   source_column="count", keys=["force", "offence_group"])

    with pytest.raises(ValueError, match="next_where"):  # which row is next: by stage, said
        hide_where_hidden(linked, "funnel", **options,
                          previous=("n_previous", "share_of_previous"))
    assert hide_where_hidden(linked, "funnel", **options, whole=["share_of_recorded"],
                             previous=("n_previous", "share_of_previous"),
                             next_where={"stage": "suspect_identified"}) == 2
    frame, mask = linked.frame("funnel")
    for force in ("beds", "dorset"):
        rows = frame["force"].eq(force)
        # its crimes recorded, every share of them, and the next stage's share of the previous
        assert mask.loc[rows, "n"].tolist() == [True, False, False]
        assert mask.loc[rows, "share_of_recorded"].all()
        assert mask.loc[rows, "share_of_previous"].tolist() == [False, True, False]
        assert mask.loc[rows, "n_previous"].tolist() == [False, True, False]
        assert frame.loc[rows & mask["n"], "n"].isna().all()
        # the other stages' counts stay printed, and so does the charged stage's share of the
        # suspects identified (for Dorset equal in value to the crimes recorded, not the same)
        assert frame.loc[rows, "n"].tolist()[1:] == n[force][1:]
    assert frame.loc[frame["force"].eq("dorset"), "share_of_previous"].iat[2] == 12 / 50
    assert not mask.loc[frame["force"].eq("kent")].to_numpy().any()
    # applied again: nothing more to hide
    assert hide_where_hidden(linked, "funnel", **options) == 0


def test_the_headlines_cases_still_open_are_hidden_where_the_outcome_mix_hides_them():
    """Nine small forces, partner: the outcome mix hid Gwent's open rapes (a complement), the
    headline printed Gwent's rape share still open (12.5% of a printed count), and with the
    national share Bedfordshire's 9 open rapes followed."""
    from soteria_research.reporting.disclosure.linked_shares import hide_where_hidden

    keys = [("gwent", "all"), ("gwent", "rape"), ("beds", "rape")]
    mix = pd.DataFrame([(f, g, o, n) for (f, g), n in zip(keys, (56, 12, 9))
                        for o in ("open", "charge")], columns=["force", "offence_group",
                                                               "outcome_group", "n"])
    mix_mask = pd.DataFrame(False, index=mix.index, columns=mix.columns)
    hidden_open = mix["outcome_group"].eq("open") & mix["offence_group"].eq("rape")
    mix_mask.loc[hidden_open, "n"] = True  # Gwent's as the complement of Bedfordshire's 9
    headline = pd.DataFrame([(f, g, m, 12, 96, 0.125, 0.08, 0.2) for f, g in keys
                             for m in ("still_open", "charged_within")],
                            columns=["force", "offence_group", "measure", "count", "n",
                                     "estimate", "ci_low", "ci_high"])
    headline_mask = pd.DataFrame(False, index=headline.index, columns=headline.columns)
    linked = _Linked(outcome_mix=(mix, mix_mask), headline=(headline, headline_mask))

    assert hide_where_hidden(linked, "headline", column="count",
                             where={"measure": "still_open"}, source_table="outcome_mix",
                             source_column="n", source_where={"outcome_group": "open"},
                             keys=["force", "offence_group"],
                             with_row=["estimate", "ci_low", "ci_high"]) == 2
    frame, mask = linked.frame("headline")
    hidden = mask["count"].to_numpy()
    expected = (frame["measure"].eq("still_open") & frame["offence_group"].eq("rape"))
    assert (hidden == expected.to_numpy()).all()
    assert mask.loc[expected, ["estimate", "ci_low", "ci_high"]].all().all()
    assert not mask.loc[~expected].to_numpy().any()  # charges and Gwent's all untouched


NINE = ["city_of_london", "cumbria", "dyfed_powys", "north_yorkshire", "gwent", "warwickshire",
        "cleveland", "durham", "bedfordshire"]
SEVEN = ["city_of_london", "wiltshire", "suffolk", "norfolk", "cumbria", "north_wales", "dorset"]


@pytest.mark.slow
@pytest.mark.parametrize(("forces", "scale", "seed", "complement", "open_hidden"),
                         [(NINE, 0.04, 57, "bedfordshire", True),
                          (SEVEN, 0.03, 73, "wiltshire", False)])
def test_the_runs_linked_tables_agree_on_crimes_recorded_and_cases_still_open(
        tmp_path, forces, scale, seed, complement, open_hidden):
    """The run's linked protection as the national preparation saves it
    (``national._protect_linked``), on two runs of small forces where, under ``partner``, the
    headline hid a force's crimes recorded to protect City of London's while its funnel printed
    them (Bedfordshire) or its outcome mix printed every outcome, adding up to them
    (Wiltshire), and the outcome mix hid open rapes (Gwent, Warwickshire) whose shares the
    headline printed. The file now takes the run-level protection's pattern
    (``run_pattern.follow_run``), which may choose another force's count as the complement;
    the links must hold whichever it chooses."""
    from types import SimpleNamespace

    from soteria_research.data.synthetic import generate_cases
    from soteria_research.reporting.disclosure.legacy import LinkedProtection
    from soteria_research.reporting.national import _protect_linked
    from soteria_research.reporting.report_common import LINKED_FILE

    cases = generate_cases(forces=forces, scale=scale, seed=seed)
    params = SimpleNamespace(disclosure="partner", extract_date=None)
    _protect_linked(cases, params, tmp_path, None, pd.DataFrame())
    linked = LinkedProtection.load(tmp_path / LINKED_FILE)
    keys = ["force", "offence_group"]

    def hidden(name, column, **where):
        table = linked.table(name)
        rows = np.ones(len(table.frame), dtype=bool)
        for key, value in where.items():
            rows &= table.frame[key].eq(value).to_numpy()
        return (table.frame.loc[rows, keys].assign(hidden=table.mask.loc[rows, column]
                                                   .to_numpy()).set_index(keys)["hidden"])

    recorded = hidden("headline_recorded", "count")
    funnel = hidden("funnel", "n", stage="recorded").reindex(recorded.index)
    assert recorded.any() and (funnel == recorded).all()
    # City of London's small count has a complement in its national line: another force's
    # (the run-level protection chooses which: Bedfordshire or Wiltshire before it)
    assert recorded[("city_of_london", "all")]
    others = recorded.xs("all", level="offence_group").drop("city_of_london")
    assert others.any(), complement
    still_open = hidden("headline", "count", measure="still_open")
    mix_open = hidden("outcome_mix", "n", outcome_group="open").reindex(still_open.index)
    assert mix_open.any() == open_hidden and still_open[mix_open.to_numpy()].all()
    # where the headline hides a force's crimes recorded, the outcome mix does not print
    # every outcome of it (they add up to it)
    mix = linked.table("outcome_mix")
    printed_all = (~mix.mask["n"]).groupby([mix.frame[k] for k in keys]).all()
    assert not (printed_all.reindex(recorded.index).fillna(False) & recorded).any()
    # nor does a victim breakdown print every category of a force's hidden headline figure
    headline = linked.table("headline")
    for measure, total, part in (("charged_within", "n", "n_cohort"),
                                 *((m, "count", f"n_{o}") for m, o in (
                                     ("charged_within", "charge"),
                                     ("withdrawn_within", "victim_withdrawal"),
                                     ("evidential_within", "evidential_difficulty")))):
        rows = (headline.frame["measure"].eq(measure)
                & headline.frame["offence_group"].eq("all")).to_numpy()
        hidden_totals = set(headline.frame.loc[rows & headline.mask[total].to_numpy(), "force"])
        for name in (n for n in linked.names if n.startswith("demographics_")):
            table = linked.table(name)
            printed_all = (~table.mask[part]).groupby(table.frame["force"]).all()
            assert not printed_all[printed_all.index.isin(hidden_totals)].any(), (name, part)
    # a share still open is hidden with its count
    rows = headline.frame["measure"].eq("still_open").to_numpy()
    assert (headline.mask.loc[rows, "estimate"] >= headline.mask.loc[rows, "count"]).all()
    # every declared link names tables, columns and rows the run really has
    from soteria_research.reporting.linked_quantities import (
        LINKED_QUANTITIES,
        check_linked_quantities,
    )

    check_linked_quantities(linked)
    # and what they hid is counted where the national overview logs the whole tables
    for name in ("funnel", "outcome_mix", "headline"):
        whole = linked.table(name)
        counts = linked.tables[name]["counts"]
        assert whole.record.suppressed == int(whole.mask[counts].to_numpy().sum()), name
        assert whole.record.status == "suppressed"
    for rule in LINKED_QUANTITIES:
        for table, where in rule.rows().items():
            frame = linked.table(table).frame
            for column, value in where.items():
                assert frame[column].eq(value).any(), (rule.why, table, column, value)


def test_outcomes_adding_up_to_a_hidden_crimes_recorded_are_hidden_with_it():
    """Seven small forces, partner: the headline hid Wiltshire's 299 crimes recorded to protect
    City of London's 3, and Wiltshire's outcome mix printed its eight outcomes, 299 together."""
    from soteria_research.reporting.disclosure.linked_shares import hide_parts_of_hidden_totals

    recorded = pd.DataFrame({"force": ["wilts", "city", "dorset"], "offence_group": "all",
                             "count": [299, 3, 330]})
    recorded_mask = pd.DataFrame({"force": False, "offence_group": False,
                                  "count": [True, True, False]})
    counts = {"wilts": [28, 221, 50], "city": [0, 2, 1], "dorset": [30, 250, 50]}
    mix = pd.DataFrame([(f, "all", o, n, n / sum(ns)) for f, ns in counts.items()
                        for o, n in zip(("charge", "other", "open"), ns)],
                       columns=["force", "offence_group", "outcome_group", "n", "share"])
    mix_mask = pd.DataFrame(False, index=mix.index, columns=mix.columns)
    city_small = mix["force"].eq("city") & mix["n"].between(1, 9)
    mix_mask.loc[city_small, ["n", "share"]] = True
    mix_mask.loc[mix["force"].isin(["wilts", "city"]), "share"] = True  # of a hidden total
    linked = _Linked(headline_recorded=(recorded, recorded_mask), outcome_mix=(mix, mix_mask))

    assert hide_parts_of_hidden_totals(linked, "outcome_mix", column="n",
                                       total_table="headline_recorded", total_column="count",
                                       keys=["force", "offence_group"],
                                       with_row=["share"]) == 1
    frame, mask = linked.frame("outcome_mix")
    wilts = frame["force"].eq("wilts")
    assert mask.loc[wilts, ["n", "share"]].all().all() and frame.loc[wilts, "n"].isna().all()
    # City of London's row already hides a part; Dorset's crimes recorded are printed
    assert mask.loc[frame["force"].eq("city"), "n"].tolist() == [False, True, True]
    assert not mask.loc[frame["force"].eq("dorset")].to_numpy().any()


def test_a_victim_breakdown_adding_up_to_a_hidden_headline_figure_is_hidden_with_it():
    """A victim breakdown's categories add up to the headline's cases followed for a year, and
    each outcome's counts to the headline's count of it. Where the headline hides Dyfed-Powys's
    cases followed (to protect City of London's 4) and its breakdown by sex printed both sexes
    (and Unknown), 60 + 35 + 5 = 100 came back, and City of London's 4 from the national total
    the overview prints. The declared links hide every category's cases followed and every
    share resting on them; where the headline hides only the charges, only the charge column."""
    from soteria_research.reporting.linked_quantities import LINKED_QUANTITIES

    measures = ("charged_within", "withdrawn_within", "evidential_within")
    headline = pd.DataFrame(
        [(f, g, m, c, n) for f, n, counts in (("dyfed", 100, (9, 30, 20)),
                                              ("city", 4, (0, 2, 1)),
                                              ("kent", 400, (20, 120, 80)))
         for g in ("all", "rape") for m, c in zip(measures, counts)],
        columns=["force", "offence_group", "measure", "count", "n"])
    headline_mask = pd.DataFrame(False, index=headline.index, columns=headline.columns)
    all_rows = headline["offence_group"].eq("all")
    headline_mask.loc[headline["force"].isin(["dyfed", "city"]) & all_rows, "n"] = True
    # Kent's charges hidden (as another force's complement), its cases followed printed
    headline_mask.loc[headline["force"].eq("kent") & all_rows
                      & headline["measure"].eq("charged_within"), "count"] = True
    # and a rape figure hidden elsewhere does not matter: the breakdown is of all offences
    headline_mask.loc[headline["force"].eq("city") & ~all_rows, "count"] = True
    outcomes = ("charge", "victim_withdrawal", "evidential_difficulty")
    rows = []
    for force, cohorts in (("dyfed", (60, 35, 5)), ("city", (3, 1, 0)), ("kent", (200, 190, 10))):
        for category, n in zip(("female", "male", "unknown"), cohorts):
            counts = dict(zip(outcomes, (n // 10, n // 3, n // 5)))
            rows.append({"force": force, "category": category, "label": category.title(),
                         "n_cohort": n, **{f"n_{o}": c for o, c in counts.items()},
                         **{f"{o}_{part}": c / n if n else np.nan for o, c in counts.items()
                            for part in ("share", "low", "high")}})
    sex = pd.DataFrame(rows)
    sex_mask = pd.DataFrame(False, index=sex.index, columns=sex.columns)
    city = sex["force"].eq("city")
    sex_mask.loc[city, [c for c in sex.columns if c.startswith(("n_", "charge", "victim",
                                                                 "evidential"))]] = True
    linked = _Linked(headline=(headline, headline_mask), demographics_victim_sex=(sex, sex_mask))
    rules = [rule for rule in LINKED_QUANTITIES if rule.table == "demographics_victim_sex"]
    assert {rule.options["column"] for rule in rules} == {"n_cohort", *(f"n_{o}" for o in
                                                                        outcomes)}
    fired = {rule.options["column"]: rule.action(linked, rule.table, **rule.options)
             for rule in rules}
    # Dyfed-Powys: every category's cases followed (one force); City of London's rows were
    # hidden already; Kent: its charges only
    assert fired == {"n_cohort": 1, "n_charge": 1, "n_victim_withdrawal": 0,
                     "n_evidential_difficulty": 0}
    frame, mask = linked.frame("demographics_victim_sex")
    dyfed, kent = frame["force"].eq("dyfed"), frame["force"].eq("kent")
    shares = [f"{o}_{p}" for o in outcomes for p in ("share", "low", "high")]
    assert mask.loc[dyfed, ["n_cohort", *shares]].all().all()
    assert frame.loc[dyfed, "n_cohort"].isna().all()
    assert mask.loc[kent, ["n_charge", "charge_share", "charge_low", "charge_high"]].all().all()
    assert not mask.loc[kent, ["n_cohort", "n_victim_withdrawal", "victim_withdrawal_share",
                               "n_evidential_difficulty"]].to_numpy().any()
    assert frame.loc[kent, "n_cohort"].sum() == 400  # printed, and the headline prints it too


def test_a_renamed_column_fails_the_linked_rules_loudly():
    """A link between two linked tables that names a column the run no longer has would hide
    nothing, silently, and print in one table what the other hides: the run stops, saying
    which rule, table and column."""
    from soteria_research.errors import DisclosureError
    from soteria_research.reporting.linked_quantities import (
        LINKED_QUANTITIES,
        apply_linked_quantities,
        check_linked_quantities,
    )

    recorded = pd.DataFrame({"force": ["a", "b"], "offence_group": "all", "count": [40, 50]})
    funnel = pd.DataFrame({"force": ["a", "b"], "offence_group": "all", "stage": "recorded",
                           "cases": [40, 50], "share_of_recorded": 1.0,
                           "share_of_previous": None, "n_previous": None})
    linked = _Linked(headline_recorded=(recorded, recorded.map(lambda _: False)),
                     funnel=(funnel, funnel.map(lambda _: False)))
    rules = [rule for rule in LINKED_QUANTITIES if rule.table == "funnel"]
    with pytest.raises(DisclosureError, match=r"names column\(s\) \['n'\] of linked table "
                                              r"'funnel'"):
        check_linked_quantities(linked, rules)
    with pytest.raises(DisclosureError, match="reads linked table 'outcome_mix'"):
        apply_linked_quantities(linked, exact_counts=True)
    # named as the rules name it, they pass
    funnel = funnel.rename(columns={"cases": "n"})
    linked = _Linked(headline_recorded=(recorded, recorded.map(lambda _: False)),
                     funnel=(funnel, funnel.map(lambda _: False)))
    check_linked_quantities(linked, rules)


def test_the_funnels_next_stage_is_the_stage_after_crimes_recorded():
    """The funnel rule hides the next stage's share of the previous with the crimes recorded:
    that stage, by the package's own stage order."""
    from soteria_research.analysis.attrition import STAGES
    from soteria_research.reporting.linked_quantities import LINKED_QUANTITIES

    stages = list(STAGES)
    rules = [r for r in LINKED_QUANTITIES if "next_where" in r.options]
    assert rules
    for rule in rules:
        current = rule.options["where"]["stage"]
        assert rule.options["next_where"] == {"stage": stages[stages.index(current) + 1]}

"""The 24 national calibration targets and how the synthetic data measure against them.

Each target is computed the way its source measured it, on the cohort it describes (see
``docs/domain.md`` for the figures).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Each target: (name, how the source measured it, published wording, kind, low, high).
# Where the source gives one value ("about X") the range is X +/- about 10%, stated here.
CALIBRATION_TARGETS = (
    ("recorded_rapes_per_year", "rapes recorded a year, FY2022/23-2023/24, divided by scale",
     "about 68,000-71,000 (2022-2024)", "fact", 68_000, 71_000),
    ("rape_share", "rape share of all RASSO crimes recorded", "rape about 36% of sexual offences",
     "fact", 0.34, 0.38),
    ("rape_charge_share_2019_2022", "rapes recorded FY2019/20-2021/22, charged by 30 June after "
     "the year (as published, with cases still open)", "1.3-1.6% (2019-2022)", "fact", 0.013, 0.016),
    ("rape_charge_share_2022_2023", "rapes recorded FY2022/23, charged by 30 June 2023",
     "about 2-2.7% (2022-2024)", "fact", 0.020, 0.027),
    ("rape_outcome_16_share", "outcome 16 among outcomes assigned by the extract, rapes recorded "
     "FY2019/20-2020/21", "41-48% (2018-2021)", "fact", 0.41, 0.48),
    ("rape_outcome_15_share", "outcome 15, same cohort and denominator", "about 20-30% (setting)",
     "setting", 0.20, 0.30),
    ("rape_outcome_14_18_share", "outcomes 14 and 18, same cohort and denominator",
     "about 5-15% (setting)", "setting", 0.05, 0.15),
    ("rape_open_12_24_months", "rapes recorded in 2020 with no outcome by 31 January 2022",
     "about 1 in 8", "fact", 0.10, 0.15),
    ("rape_median_days_to_charge", "median days recorded -> charge, rape charges assigned in "
     "FY2022/23", "381-467 (2018/19-2022/23)", "fact", 381, 467),
    ("rape_median_days_to_outcome", "median days recorded -> any outcome, rape outcomes assigned "
     "in FY2022/23", "about 98 (2019/20)", "fact", 88, 108),
    ("withdrawal_within_7_days", "withdrawals (14, 16) within 7 days of the report, all RASSO "
     "recorded FY2019/20-2021/22", "roughly 2 in 5", "fact", 0.35, 0.45),
    ("withdrawal_within_30_days", "withdrawals within 30 days of the report, same cohort",
     "about 2 in 3", "fact", 0.60, 0.72),
    ("female_share", "victims recorded female, all RASSO", "about 84%", "fact", 0.82, 0.86),
    ("female_share_rape", "victims recorded female, rape", "about 90%", "fact", 0.88, 0.92),
    ("rape_domestic_abuse_share", "rapes flagged domestic abuse", "about a third", "fact", 0.30, 0.37),
    ("rape_partner_share", "rapes by a partner or ex-partner", "roughly a third", "fact", 0.28, 0.38),
    ("rape_stranger_share", "rapes by a stranger", "about 7-10%", "fact", 0.07, 0.10),
    ("rape_acquaintance_lead", "acquaintance/friend share minus the next largest relationship "
     "(rape; positive = largest group)", "acquaintance/friend the largest group", "fact", 0.0, 1.0),
    ("repeat_suspect_share", "suspect ids with two or more cases, among suspect ids",
     "about a quarter (setting)", "setting", 0.20, 0.30),
    ("vulnerability_share", "victims with a mental-health, disability or substance flag",
     "about a third (setting)", "setting", 0.30, 0.37),
    ("cps_charge_share_2023", "CPS decisions in 2023 that authorised charge", "about 70-73% (2023)",
     "fact", 0.70, 0.73),
    ("cps_mean_days_file_to_decision", "mean days file -> CPS decision, decisions in 2023",
     "about 166 (2023)", "fact", 150, 182),
    ("conviction_rate", "court outcomes that are convictions", "57-71%", "fact", 0.57, 0.71),
    ("charge_to_verdict_mean_days", "mean days charge -> court outcome, outcomes in FY2023/24",
     "about 450", "fact", 405, 495),
)


def calibration_table(cases: pd.DataFrame, *, scale: float = 1.0) -> pd.DataFrame:
    """Each national calibration target (``docs/domain.md``) against its value in ``cases``.

    Every target is computed the way its source measured it, on the cohort it describes:
    published charge rates count charges assigned by the publication date (so cases still
    open), "open 12-24 months" checks the 2020 cohort in January 2022, time to outcome uses
    outcomes assigned in a year. Run it on a national extract covering 2019-04-01..2024-03-31
    (the default of :func:`generate_cases`); a target whose cohort is absent is NaN.

    Parameters
    ----------
    cases : DataFrame
        Canonical cases.
    scale : float
        The ``scale`` the cases were generated at (volumes are divided by it).

    Returns
    -------
    DataFrame
        ``target, measure, source, kind, low, high, generated, within_range, n``.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases, calibration_table
    >>> table = calibration_table(generate_cases(scale=0.01, seed=1), scale=0.01)
    >>> list(table.columns[:2])
    ['target', 'measure']
    """
    values = _calibration_values(cases, scale)
    rows = []
    for name, measure, source, kind, low, high in CALIBRATION_TARGETS:
        generated, n = values.get(name, (np.nan, 0))
        within = bool(low <= generated <= high) if np.isfinite(generated) else False
        rows.append(dict(target=name, measure=measure, source=source, kind=kind, low=low, high=high,
                         generated=float(generated), within_range=within, n=int(n)))
    return pd.DataFrame(rows)


def _share(mask: pd.Series, within: pd.Series) -> tuple[float, int]:
    n = int(within.sum())
    return (float((mask & within).sum() / n) if n else np.nan), n


def _calibration_values(cases: pd.DataFrame, scale: float) -> dict:
    ts = pd.Timestamp
    rape = cases["offence_group"].eq("rape")
    recorded, outcome_date = cases["recorded_date"], cases["outcome_date"]
    code = cases["outcome_code"]

    def between(dates, first, last):
        return dates.ge(ts(first)) & dates.le(ts(last))

    out = {}
    recent = between(recorded, "2022-04-01", "2024-03-31")
    years = (min(recorded.max(), ts("2024-03-31")) - ts("2022-04-01")).days / 365.25 if recent.any() else 0
    out["recorded_rapes_per_year"] = (
        ((rape & recent).sum() / years / scale if years > 1.9 else np.nan), int((rape & recent).sum()))
    out["rape_share"] = _share(rape, pd.Series(True, index=cases.index))
    charged = code.isin(["1", "1A"])
    fy_end = _financial_year_end(recorded)
    published = outcome_date.le(fy_end + pd.DateOffset(months=3))
    out["rape_charge_share_2019_2022"] = _share(
        charged & published, rape & between(recorded, "2019-04-01", "2022-03-31"))
    out["rape_charge_share_2022_2023"] = _share(
        charged & published, rape & between(recorded, "2022-04-01", "2023-03-31"))
    assigned = rape & between(recorded, "2019-04-01", "2021-03-31") & code.notna() & code.ne("20")
    out["rape_outcome_16_share"] = _share(code.eq("16"), assigned)
    out["rape_outcome_15_share"] = _share(code.eq("15"), assigned)
    out["rape_outcome_14_18_share"] = _share(code.isin(["14", "18"]), assigned)
    still_open = outcome_date.isna() | outcome_date.gt(ts("2022-01-31"))
    out["rape_open_12_24_months"] = _share(still_open, rape & between(recorded, "2020-01-01", "2020-12-31"))
    days = (outcome_date - recorded).dt.days
    in_fy = between(outcome_date, "2022-04-01", "2023-03-31")
    charge_days = days[rape & charged & in_fy]
    out["rape_median_days_to_charge"] = (charge_days.median(), charge_days.size)
    outcome_days = days[rape & in_fy & code.notna()]
    out["rape_median_days_to_outcome"] = (outcome_days.median(), outcome_days.size)
    withdrawn = code.isin(["14", "16"]) & between(recorded, "2019-04-01", "2022-03-31")
    from_report = (outcome_date - cases["report_date"]).dt.days
    out["withdrawal_within_7_days"] = _share(from_report.le(7), withdrawn)
    out["withdrawal_within_30_days"] = _share(from_report.le(30), withdrawn)
    everyone = pd.Series(True, index=cases.index)
    female = cases["victim_sex"].eq("female")
    out["female_share"] = _share(female, everyone)
    out["female_share_rape"] = _share(female, rape)
    out["rape_domestic_abuse_share"] = _share(cases["domestic_abuse"], rape)
    relationship = cases.loc[rape, "relationship"].value_counts(normalize=True)
    none = np.nan if relationship.empty else 0.0
    out["rape_partner_share"] = (relationship.get("partner_ex_partner", none), int(rape.sum()))
    out["rape_stranger_share"] = (relationship.get("stranger", none), int(rape.sum()))
    others = relationship.drop("acquaintance_friend", errors="ignore")
    out["rape_acquaintance_lead"] = (
        relationship.get("acquaintance_friend", none) - (others.max() if len(others) else 0.0), int(rape.sum()))
    per_suspect = cases["suspect_id"].value_counts()
    out["repeat_suspect_share"] = (float(per_suspect.ge(2).mean()) if len(per_suspect) else np.nan,
                                   len(per_suspect))
    flagged = cases["victim_mental_health"] | cases["victim_disability"] | cases["victim_substance_use"]
    out["vulnerability_share"] = _share(flagged, everyone)
    decided_2023 = between(cases["cps_decision_date"], "2023-01-01", "2023-12-31")
    out["cps_charge_share_2023"] = _share(cases["cps_decision"].eq("charge"), decided_2023)
    file_days = (cases["cps_decision_date"] - cases["file_to_cps_date"]).dt.days[decided_2023]
    out["cps_mean_days_file_to_decision"] = (file_days.mean(), file_days.size)
    court = cases["court_outcome"]
    out["conviction_rate"] = _share(court.eq("convicted"), court.notna())
    verdict_fy = between(cases["court_outcome_date"], "2023-04-01", "2024-03-31")
    verdict_days = (cases["court_outcome_date"] - cases["charge_date"]).dt.days[verdict_fy]
    out["charge_to_verdict_mean_days"] = (verdict_days.mean(), verdict_days.size)
    return out


def _financial_year_end(dates: pd.Series) -> pd.Series:
    """31 March ending the financial year (April-March) of each date."""
    year = dates.dt.year + (dates.dt.month >= 4).astype(int)
    return pd.to_datetime(year.astype(str) + "-03-31", errors="coerce")

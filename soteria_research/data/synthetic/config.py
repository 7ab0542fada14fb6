"""Every number the synthetic world uses, in one documented, YAML-serialisable dataclass.

Each field says whether it reproduces a published national figure (a fact, see
``docs/domain.md``) or is a setting: a plausible choice that reports must never present as a
finding.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ...errors import ParameterError

#: The competing causes the generator simulates, in the dictionary's order.
CAUSES = ("charge", "victim_withdrawal", "evidential_difficulty", "no_suspect", "other")
#: Investigation events that happen while a case is open and change the outcome hazards.
STAGES = ("interview", "referral", "device_request")
#: Every transition with a hazard: the competing outcomes, then the stages.
TRANSITIONS = CAUSES + STAGES
#: Case-mix items that differ between forces (log-odds shifts drawn per force).
CASE_MIX = ("rape_share", "child_victim", "partner", "domestic_abuse", "non_recent")
RELATIONSHIPS = ("partner_ex_partner", "family", "acquaintance_friend", "online_contact",
                 "position_of_trust", "stranger", "unknown")
OFFENCE_GROUPS = ("rape", "other_sexual")
PROGRAMME_RULES = ("calendar", "recorded")
FORCE_EFFECT_MODES = ("own", "none", "national_mix")


def _setting(default, doc: str, kind: str = "setting"):
    """A dataclass field carrying its documentation and whether it is a fact or a setting."""
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda: _copy(default), metadata={"doc": doc, "kind": kind})
    return field(default=default, metadata={"doc": doc, "kind": kind})


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _effects(charge=0.0, victim_withdrawal=0.0, evidential_difficulty=0.0, no_suspect=0.0, other=0.0):
    return dict(charge=charge, victim_withdrawal=victim_withdrawal,
                evidential_difficulty=evidential_difficulty, no_suspect=no_suspect, other=other)


def _stage_effects(interview=0.0, referral=0.0, device_request=0.0):
    return dict(interview=interview, referral=referral, device_request=device_request)


# Log hazard ratios of the outcomes per baseline covariate. Directions for relationship,
# offence group and delay follow docs/domain.md; every magnitude is a setting. Coding: see
# `model_covariates`.
_LOG_HR = {
    "offence_group[other_sexual]": _effects(0.50, -0.10, -0.20, 0.00, 0.30),
    "relationship[partner_ex_partner]": _effects(-0.40, 0.45, -0.10, 0.00, 0.00),
    "relationship[family]": _effects(0.10, 0.20, 0.00, 0.00, 0.10),
    "relationship[online_contact]": _effects(-0.10, 0.10, 0.00, 0.30, 0.00),
    "relationship[position_of_trust]": _effects(0.30, -0.20, 0.00, 0.00, 0.20),
    "relationship[stranger]": _effects(0.50, -0.50, -0.20, 0.40, -0.20),
    "relationship[unknown]": _effects(-0.30, 0.00, -0.30, 0.30, 0.00),
    "domestic_abuse": _effects(-0.10, 0.20, 0.00, 0.00, 0.00),
    "third_party_report": _effects(-0.20, 0.50, 0.00, 0.00, 0.00),
    "non_recent": _effects(-0.50, -0.20, 0.40, -0.30, 0.20),
    "victim_under_18": _effects(0.30, -0.30, 0.00, 0.00, 0.40),
    "victim_sex[male]": _effects(0.10, -0.10, 0.00, 0.00, 0.00),
    "victim_sex[not_stated]": _effects(0.00, 0.00, 0.00, 0.00, 0.00),
    "victim_ethnicity[black]": _effects(-0.10, 0.15, 0.00, 0.00, 0.00),
    "victim_ethnicity[asian]": _effects(0.00, 0.10, 0.00, 0.00, 0.00),
    "victim_ethnicity[mixed]": _effects(0.00, 0.00, 0.00, 0.00, 0.00),
    "victim_ethnicity[other]": _effects(0.00, 0.00, 0.00, 0.00, 0.00),
    "victim_ethnicity[not_stated]": _effects(0.00, 0.10, 0.00, 0.00, 0.00),
    "victim_mental_health": _effects(-0.30, 0.20, 0.20, 0.00, 0.00),
    "victim_disability": _effects(-0.20, 0.00, 0.20, 0.00, 0.20),
    "victim_substance_use": _effects(-0.20, 0.10, 0.30, 0.00, 0.00),
    "recorded_years_since_2019": _effects(0.10, 0.00, 0.00, 0.00, 0.00),
}

# Log hazard ratios of the investigation stages per baseline covariate (any covariate of
# _LOG_HR may appear; a missing one has no effect on the stages).
_STAGE_LOG_HR = {
    "offence_group[other_sexual]": _stage_effects(0.10, 0.30, -0.85),
    "relationship[stranger]": _stage_effects(-0.30, 0.00, -0.20),
    "non_recent": _stage_effects(-0.20, -0.30, -0.40),
    "victim_under_18": _stage_effects(0.00, 0.20, 0.00),
    "recorded_years_since_2019": _stage_effects(0.05, 0.07, 0.00),
}

# Piecewise-constant baseline hazards (per day, by days since recording) for the reference
# case: an adult female victim of rape by an acquaintance, recent offence, no flags, recorded
# on 2019-04-01 before the programme, force effect 0, frailties 0, no stage reached yet (or, for
# a transition that needs one, just reached). Tuned by hand until every calibration target holds.
_KNOTS = [0, 7, 30, 90, 180, 365, 730, 1460]
_BASELINE = {
    "charge": [0.00144, 0.00144, 0.00144, 0.00144, 0.00144, 0.00144, 0.00135, 0.00117],
    "victim_withdrawal": [0.022, 0.0045, 0.0015, 0.00066, 0.00039, 0.000165, 0.00011, 0.00011],
    "evidential_difficulty": [0.000036, 0.000072, 0.00027, 0.0008, 0.0009, 0.00036, 0.00023, 0.00023],
    "no_suspect": [0.00035, 0.0007, 0.002, 0.0034, 0.0027, 0.001, 0.0008, 0.0008],
    "other": [0.000034, 0.00013, 0.00026, 0.00051, 0.00038, 0.00017, 0.0001, 0.0001],
    "interview": [0.012, 0.015, 0.012, 0.008, 0.005, 0.003, 0.002, 0.002],
    "referral": [0.000034, 0.00008, 0.00029, 0.00087, 0.00138, 0.00127, 0.00073, 0.00054],
    "device_request": [0.09, 0.012, 0.003, 0.001, 0.0005, 0.0002, 0.0001, 0.0001],
}

# Published recorded crime per financial year (ONS police recorded crime, England and Wales):
# rape, and other sexual offences (all sexual offences minus rape). See `recorded_per_year`.
_RECORDED = {
    "rape": {"2019/20": 59_104, "2020/21": 55_000, "2021/22": 70_330, "2022/23": 70_000,
             "2023/24": 68_000},
    "other_sexual": {"2019/20": 104_140, "2020/21": 97_000, "2021/22": 124_353,
                     "2022/23": 127_000, "2023/24": 124_000},
}


@dataclass
class SyntheticConfig:
    """All numbers behind :func:`soteria_research.data.synthetic.generate_cases`.

    Fields marked ``kind="fact"`` in their metadata reproduce a published national figure
    (``docs/domain.md``); every other field is a **setting**: a plausible choice, not an
    established fact, which reports must never present as a finding. ``describe()`` lists every
    field with its kind and documentation; ``to_yaml``/``from_yaml`` save and load the whole
    object; ``counterfactual()`` switches effects off for causal contrasts.

    Examples
    --------
    >>> from soteria_research.data.synthetic import SyntheticConfig
    >>> config = SyntheticConfig(repeat_suspect_share=0.3)
    >>> SyntheticConfig.from_yaml_text(config.to_yaml_text()) == config
    True
    """

    # --- volumes over time -----------------------------------------------------------------
    recorded_per_year: dict = _setting(
        _RECORDED,
        "Crimes recorded nationally per financial year and offence group at scale 1. Published: "
        "rape 59,104 (2019/20), about 55,000 (2020/21), 70,330 (2021/22), about 70,000 "
        "(2022/23), about 68,000 (2023/24); all sexual offences 163,244 (2019/20) and 194,683 "
        "(2021/22), 199,021 in the year to September 2022. Other sexual offences for 2020/21, "
        "2022/23 and 2023/24 are approximations following the rape series. Years before the "
        "first take the first year's volume, years after the last the last year's.", "fact")
    seasonal_amplitude: float = _setting(
        0.08, "Relative amplitude of the yearly cycle in recording (a summer peak).")
    seasonal_peak_day: int = _setting(190, "Day of the year of the seasonal peak (early July).")
    volume_dips: list = _setting(
        [["2020-04-01", "2020-06-30", 0.78]],
        "[first day, last day, multiplier] of periods with depressed recording relative to the "
        "rest of their financial year: the April-June 2020 lockdown (quarters of 12-15k rapes "
        "in 2020/21 are published; the depth is a setting).")
    female_share: float = _setting(0.84, "Share of victims of all sexual offences who are female.", "fact")
    female_share_rape: float = _setting(0.90, "Share of rape victims who are female.", "fact")
    sex_not_stated_share: float = _setting(0.005, "Share of victims whose sex is not recorded.")

    # --- forces --------------------------------------------------------------------------------
    force_seed: int = _setting(
        20240331, "Seed of every force-level draw (rate multipliers, growth, case mix, hazard "
        "effects), so `ground_truth(config)` does not depend on the case-level seed.")
    force_rate_sd: float = _setting(
        0.30, "SD of the log force recording-rate multiplier (volumes vary more than population).")
    force_growth_sd: float = _setting(
        0.06, "SD between forces of the yearly growth of their log volume (national totals "
        "still follow `recorded_per_year`).")
    force_effect_sd: dict = _setting(
        dict(charge=0.25, victim_withdrawal=0.15, evidential_difficulty=0.15, no_suspect=0.15, other=0.20),
        "SD of the force log hazard ratio per outcome (known random effects, drawn from force_seed).")
    force_case_mix_sd: dict = _setting(
        dict(rape_share=0.25, child_victim=0.25, partner=0.30, domestic_abuse=0.35, non_recent=0.30),
        "SD between forces of the log-odds shift of each case-mix item: the rape share of "
        "crimes, victims under 18, partner/ex-partner suspects, the domestic-abuse flag given "
        "the relationship (a recording practice), and non-recent reports.")
    force_rate_multiplier: dict = _setting(
        {}, "Explicit force rate multipliers (force code -> multiplier) overriding the draws.")
    force_log_hr: dict = _setting(
        {}, "Explicit force log hazard ratios (force code -> {outcome: value}) overriding the draws.")
    force_case_mix: dict = _setting(
        {}, "Explicit case-mix log-odds shifts (force code -> {item: value}) overriding the draws.")
    force_effect_mode: str = _setting(
        "own", "'own': each case gets its force's log hazard ratios; 'none': every force 0; "
        "'national_mix': each case gets the effects of a force drawn at random by national "
        "volume (the counterfactual behind indirectly standardised ratios).")

    # --- victims -------------------------------------------------------------------------------
    victim_age_bands: dict = _setting(
        {"rape": {"0-12": 0.07, "13-15": 0.15, "16-17": 0.07, "18-24": 0.24, "25-34": 0.22,
                  "35-44": 0.13, "45-59": 0.09, "60-90": 0.03},
         "other_sexual": {"0-12": 0.15, "13-15": 0.18, "16-17": 0.08, "18-24": 0.20,
                          "25-34": 0.17, "35-44": 0.10, "45-59": 0.08, "60-90": 0.04}},
        "Victim age at first report by offence group (uniform within a band); a force's "
        "child_victim shift changes the odds of the bands under 18.")
    victim_age_missing_share: float = _setting(0.01, "Share of cases with victim age not recorded.")
    victim_ethnicity: dict = _setting(
        {"white": 0.74, "black": 0.04, "asian": 0.06, "mixed": 0.03, "other": 0.01, "not_stated": 0.12},
        "Victim ethnic group distribution.")
    suspect_ethnicity: dict = _setting(
        {"white": 0.70, "black": 0.07, "asian": 0.08, "mixed": 0.03, "other": 0.02, "not_stated": 0.10},
        "Suspect ethnic group distribution.")
    mental_health_share: float = _setting(0.20, "Victim mental-health flag share (with the next two, about a third flagged).")
    disability_share: float = _setting(0.07, "Victim disability flag share.")
    substance_use_share: float = _setting(0.12, "Victim alcohol/drugs flag share.")
    repeat_victim_share: float = _setting(0.06, "Share of victims who report more than one crime.")
    repeat_extra_mean: float = _setting(
        0.6, "Mean number of cases beyond two for a repeat victim or suspect (geometric).")

    # --- the crime -----------------------------------------------------------------------------
    relationship_rape: dict = _setting(
        {"partner_ex_partner": 0.40, "family": 0.04, "acquaintance_friend": 0.38, "online_contact": 0.05,
         "position_of_trust": 0.01, "stranger": 0.09, "unknown": 0.03},
        "Victim-suspect relationship for adult rape victims (split is a setting; partner about a "
        "third and stranger 7-10% of rapes are facts, checked by calibration).")
    relationship_other: dict = _setting(
        {"partner_ex_partner": 0.12, "family": 0.10, "acquaintance_friend": 0.30, "online_contact": 0.08,
         "position_of_trust": 0.05, "stranger": 0.25, "unknown": 0.10},
        "Relationship for adult victims of other sexual offences.")
    relationship_child: dict = _setting(
        {"partner_ex_partner": 0.05, "family": 0.30, "acquaintance_friend": 0.35, "online_contact": 0.12,
         "position_of_trust": 0.06, "stranger": 0.07, "unknown": 0.05},
        "Relationship for victims under 16 (partner only for 13-15).")
    domestic_abuse_by_relationship: dict = _setting(
        {"partner_ex_partner": 0.85, "family": 0.40, "acquaintance_friend": 0.02, "online_contact": 0.01,
         "position_of_trust": 0.0, "stranger": 0.0, "unknown": 0.03},
        "Probability of the domestic-abuse flag given the relationship (national; a force's "
        "domestic_abuse shift changes its odds).")
    third_party_share_adult: float = _setting(0.12, "Share of adult-victim crimes reported by a third party.")
    third_party_share_child: float = _setting(0.40, "Share of child-victim crimes reported by a third party.")
    non_recent_share_adult: float = _setting(0.30, "Share of adult-victim reports made a year or more after the offence.")
    non_recent_share_child: float = _setting(0.12, "Share of child-victim (5-17) reports made a year or more after the offence.")
    non_recent_delay_years_mean: float = _setting(6.0, "Mean years beyond the first of a non-recent report's delay.")
    other_offence_types: dict = _setting(
        {"assault": 0.55, "child_activity": 0.12, "causing": 0.06, "incest": 0.02, "mental_disorder": 0.01,
         "exploitation": 0.03, "trust": 0.02, "grooming": 0.04, "exposure": 0.15},
        "Kinds of other sexual offence, turned into offence codes by the victim's age and sex.")
    recent_same_day_share: float = _setting(0.35, "Share of recent reports made within a day of the offence.")
    recent_delay_days_mean: float = _setting(35.0, "Mean delay (days) of other recent reports (capped at 364).")
    ongoing_abuse_share: float = _setting(0.12, "Share of crimes recorded as a period of ongoing abuse (offence end date).")
    report_same_day_share: float = _setting(0.75, "Share of crimes recorded the day they are reported.")
    report_lag_days_mean: float = _setting(4.0, "Mean report-to-recording lag (days) when not the same day.")

    # --- suspects --------------------------------------------------------------------------------
    suspect_identification: dict = _setting(
        {"partner_ex_partner": [0.99, 0.97, 3.0], "family": [0.98, 0.95, 5.0],
         "acquaintance_friend": [0.96, 0.93, 7.0], "online_contact": [0.80, 0.50, 20.0],
         "position_of_trust": [0.98, 0.95, 5.0], "stranger": [0.35, 0.20, 40.0],
         "unknown": [0.50, 0.40, 30.0]},
        "Per relationship: [probability a suspect can ever be identified, share of those "
        "identified on the recording day, mean further days (exponential)]. Identification "
        "happens only while the case is open.")
    suspect_age: dict = _setting(
        {"partner_ex_partner": [1.0, 2.5, 5.0], "family": [0.5, 24.0, 12.0],
         "acquaintance_friend": [1.0, 3.0, 8.0], "online_contact": [0.8, 11.0, 11.0],
         "position_of_trust": [0.2, 36.0, 10.0], "stranger": [0.3, 25.0, 11.0],
         "unknown": [0.7, 10.0, 12.0]},
        "Per relationship: [weight on the victim's age, added years, SD]: a suspect's age at "
        "their first case is weight * victim age + added + SD * normal, within 10-95.")
    repeat_suspect_share: float = _setting(
        0.27, "Share of identifiable suspects with more than one case (grouped within force and "
        "relationship; about a quarter of named suspects end up with two or more).")
    cross_force_share: float = _setting(0.10, "Share of repeat suspects with cases in more than one force.")
    suspect_male_share: float = _setting(0.95, "Share of suspects who are male (1% not stated).")

    # --- hazards (the ground truth) ------------------------------------------------------------
    baseline_knots: list = _setting(
        _KNOTS, "Days since recording at which the piecewise-constant baseline hazards change.")
    baseline_hazard: dict = _setting(
        _BASELINE, "Per-day baseline hazard per transition (outcomes and stages) and interval, "
        "for the reference case; see `ground_truth` for who is at risk of what.")
    log_hazard_ratios: dict = _setting(
        _LOG_HR, "True log hazard ratio of each outcome per baseline covariate (directions from "
        "docs/domain.md).")
    stage_log_hazard_ratios: dict = _setting(
        _STAGE_LOG_HR, "True log hazard ratio of each stage (interview, referral, device "
        "request) per baseline covariate; covariates not listed have no effect on stages.")
    after_interview: dict = _setting(
        _effects(charge=0.0, victim_withdrawal=-0.20, evidential_difficulty=0.50, no_suspect=0.0, other=0.70),
        "Log hazard ratio of each outcome once the suspect has been arrested or interviewed "
        "(time-varying; no_suspect is never at risk then).")
    after_referral: dict = _setting(
        _effects(charge=0.0, victim_withdrawal=-0.30, evidential_difficulty=0.15, no_suspect=0.0, other=-0.70),
        "Log hazard ratio of each outcome once the file is with the CPS (time-varying). Charge "
        "is at risk only after referral, so its entry is unused.")
    device_effect: dict = _setting(
        _effects(charge=0.0, victim_withdrawal=0.40, evidential_difficulty=0.10, no_suspect=0.0, other=0.0),
        "True log hazard ratio of each outcome after a victim device request (time-varying, "
        "from the request; all zero = no effect).")
    programme_effect: dict = _setting(
        dict(charge=0.25, victim_withdrawal=-0.10, evidential_difficulty=-0.15, no_suspect=0.0,
             other=0.0, interview=0.20, referral=0.25, device_request=-0.30),
        "True log hazard ratio of each transition under Operation Soteria (all zero = no "
        "effect); multiplied by the ramp fraction.")
    programme_rule: str = _setting(
        "calendar", "'calendar': the programme acts on every open case of a force from its start "
        "date (time-varying); 'recorded': only on cases recorded on or after the start date.")
    programme_ramp_days: float = _setting(
        180.0, "Days from the start until the programme's full effect (0: full at once).")
    programme_ramp_steps: int = _setting(
        3, "Equal steps of the ramp: the effect is k/steps of its full size in the k-th step.")
    soteria_start: dict = _setting(
        {}, "Overrides of forces.csv soteria_start: force code -> ISO date, or null for never.")
    suspect_frailty: dict = _setting(
        dict(charge=0.60, victim_withdrawal=0.0, evidential_difficulty=-0.20, no_suspect=0.0, other=0.0,
             interview=0.0, referral=0.60, device_request=0.0),
        "Loading of each transition's log hazard on a suspect's random effect z ~ N(0, 1), "
        "shared by all that suspect's cases (the SD of the suspect frailty on each hazard).")
    officer_effect: dict = _setting(
        dict(charge=0.10, victim_withdrawal=-0.15, evidential_difficulty=0.0, no_suspect=0.0, other=0.0,
             interview=0.20, referral=0.25, device_request=0.20),
        "Loading of each transition's log hazard on an officer's random effect z ~ N(0, 1), "
        "shared by all that officer's cases (a higher z: faster to interview and refer, fewer "
        "withdrawals).")
    transfer_rate: float = _setting(
        0.00003, "Per-day hazard of transfer to another body (outcome 20, independent censoring).")

    # --- after the outcome: codes, prosecution, court ---------------------------------------
    arrest_share: float = _setting(
        0.55, "Share of first suspect actions that are an arrest (others a voluntary interview).")
    referred_withdrawal_decision_share: float = _setting(
        0.5, "Share of withdrawals after referral that carry a CPS decision (no further action).")
    further_investigation_share: float = _setting(
        0.15, "Share of evidential-difficulty outcomes after referral whose CPS decision was to "
        "return the file for further investigation.")
    decision_to_charge_same_day_share: float = _setting(0.70, "Share of charges on the CPS decision day.")
    charge_alternative_share: float = _setting(0.10, "Share of charges for an alternative offence (1A).")
    other_outcome_codes: dict = _setting(
        {"10": 0.30, "21": 0.22, "8": 0.10, "3": 0.06, "2": 0.03, "22": 0.06, "9": 0.06, "11": 0.05,
         "5": 0.03, "12": 0.02, "13": 0.04, "17": 0.01, "4": 0.01},
        "How the `other` outcome splits into out-of-court and prevented/NPI codes (9, the CPS "
        "public-interest decision, needs a referral; without one it becomes 10).")
    charge_to_verdict_days_mean: float = _setting(
        490.0, "Mean days from charge to court outcome before truncation; verdicts in a year then "
        "average about 450 days, since charge volumes grow.")
    charge_to_verdict_days_sd: float = _setting(220.0, "SD of days from charge to court outcome.")
    court_outcome: dict = _setting(
        {"convicted": 0.64, "acquitted": 0.27, "discontinued": 0.09},
        "Court outcome of charged cases (conviction rate 57-71% of completed prosecutions).")

    # --- digital forensics, officers -------------------------------------------------------
    device_return_share: float = _setting(0.85, "Share of requested devices ever returned.")
    device_return_days_median: float = _setting(75.0, "Median days a device is held (lognormal).")
    officer_cases_per_year: float = _setting(20.0, "Mean new RASSO investigations per officer a year.")
    officer_caseload_shape: float = _setting(2.0, "Gamma shape of officers' shares of a force's cases.")

    # -------------------------------------------------------------------------------------
    def describe(self) -> pd.DataFrame:
        """Every field with its value, kind (fact or setting) and documentation."""
        rows = [
            dict(name=f.name, kind=f.metadata["kind"], value=getattr(self, f.name), doc=f.metadata["doc"])
            for f in dataclasses.fields(self)
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {f.name: _copy(getattr(self, f.name)) for f in dataclasses.fields(self)}

    def to_yaml_text(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, width=100)

    def to_yaml(self, path: str | Path) -> Path:
        """Write the configuration to a YAML file (every field)."""
        path = Path(path)
        path.write_text(self.to_yaml_text(), encoding="utf-8")
        return path

    @classmethod
    def from_yaml_text(cls, text: str) -> SyntheticConfig:
        values = yaml.safe_load(text) or {}
        if not isinstance(values, dict):
            raise ParameterError("A synthetic configuration YAML must be a mapping of field: value.")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ParameterError(
                f"Unknown synthetic configuration fields {unknown}; known fields are listed by "
                "SyntheticConfig().describe()."
            )
        return cls(**values)

    @classmethod
    def from_yaml(cls, path: str | Path) -> SyntheticConfig:
        """Load a configuration saved by :meth:`to_yaml` (missing fields keep their defaults)."""
        path = Path(path)
        if not path.is_file():
            raise ParameterError(f"No synthetic configuration file at {path}.")
        return cls.from_yaml_text(path.read_text(encoding="utf-8"))

    # -- counterfactual worlds ------------------------------------------------------------------
    def counterfactual(self, *, programme: bool = True, device: bool = True,
                       force_effects: str | dict | bool = True,
                       soteria_start: dict | None = None) -> SyntheticConfig:
        """A copy of this world with effects switched off or replaced.

        Random numbers are drawn in an order that no effect size changes, so simulating the
        copy with the same ``seed`` gives the same cases, people and latent draws: the
        difference between the two runs is the causal effect of the switch (common random
        numbers), with small Monte Carlo error.

        Parameters
        ----------
        programme : bool
            False: the programme has no effect anywhere (``programme_effect`` all zero).
        device : bool
            False: device requests change no outcome hazard (``device_effect`` all zero).
        force_effects : True, False, 'national_mix' or dict
            False: every force's log hazard ratios are 0; ``'national_mix'``: each case takes
            the effects of a force drawn by national volume; a dict replaces some forces'
            effects (force code -> {outcome: log HR}).
        soteria_start : dict, optional
            Start dates to override (force code -> ISO date, or None for never).

        Examples
        --------
        >>> from soteria_research.data.synthetic import SyntheticConfig
        >>> off = SyntheticConfig().counterfactual(programme=False)
        >>> set(off.programme_effect.values())
        {0.0}
        """
        changes: dict = {}
        if not programme:
            changes["programme_effect"] = {k: 0.0 for k in self.programme_effect}
        if not device:
            changes["device_effect"] = {k: 0.0 for k in self.device_effect}
        if force_effects is False:
            changes["force_effect_mode"] = "none"
        elif force_effects == "national_mix":
            # a mix of forces whose effects are all off is still no effect
            changes["force_effect_mode"] = "none" if self.force_effect_mode == "none" else "national_mix"
        elif isinstance(force_effects, dict):
            merged = _copy(self.force_log_hr)
            merged.update(_copy(force_effects))
            changes["force_log_hr"] = merged
        elif force_effects is not True:
            raise ParameterError(
                f"force_effects must be True, False, 'national_mix' or a dict, not {force_effects!r}.")
        if soteria_start:
            merged = _copy(self.soteria_start)
            merged.update(soteria_start)
            changes["soteria_start"] = merged
        return dataclasses.replace(self, **changes)

    # -- derived tables ---------------------------------------------------------------------
    def force_table(self, forces: pd.DataFrame) -> pd.DataFrame:
        """Per force: population, programme start, rate multiplier, growth, case mix, effects.

        The draws come from ``force_seed`` only, so the same configuration always gives the
        same forces whatever the case-level seed. Case-mix columns ``mix_<item>`` are log-odds
        shifts against the national mix; ``log_hr_<outcome>`` the force's log hazard ratio
        against the national baseline (0).
        """
        rng = np.random.default_rng(self.force_seed)
        n = len(forces)
        table = forces[["code", "name", "population_2011", "soteria_wave"]].rename(
            columns={"code": "force"}).copy()
        multiplier = np.exp(rng.normal(-0.5 * self.force_rate_sd**2, self.force_rate_sd, n))
        table["rate_multiplier"] = _override(table["force"], multiplier, self.force_rate_multiplier)
        for cause in CAUSES:
            draws = rng.normal(0.0, float(self.force_effect_sd.get(cause, 0.0)), n)
            table[f"log_hr_{cause}"] = _override(
                table["force"], draws, {f: v[cause] for f, v in self.force_log_hr.items() if cause in v})
        growth = rng.normal(0.0, self.force_growth_sd, n)
        table["growth_per_year"] = growth - np.average(growth, weights=table["population_2011"])
        for item in CASE_MIX:
            draws = rng.normal(0.0, float(self.force_case_mix_sd.get(item, 0.0)), n)
            draws = draws - np.average(draws, weights=table["population_2011"])
            table[f"mix_{item}"] = _override(
                table["force"], draws, {f: v[item] for f, v in self.force_case_mix.items() if item in v})
        start = forces["soteria_start"] if "soteria_start" in forces else pd.Series(pd.NaT, index=forces.index)
        start = pd.Series(start.to_numpy(), index=table["force"].to_numpy(), dtype=object)
        for force, date in self.soteria_start.items():
            if force not in start.index:
                raise ParameterError(f"soteria_start names unknown force {force!r}.")
            start[force] = date
        try:
            table["soteria_start"] = pd.to_datetime(start.to_numpy(), format="ISO8601")
        except (ValueError, TypeError) as error:
            raise ParameterError(f"soteria_start dates must be ISO dates (YYYY-MM-DD): {error}") from None
        return table.reset_index(drop=True)

    def check(self) -> None:
        """Raise ParameterError when a distribution, hazard or switch is malformed."""
        for name in ("victim_ethnicity", "suspect_ethnicity", "relationship_rape",
                     "relationship_other", "relationship_child", "other_outcome_codes", "court_outcome"):
            _check_probabilities(getattr(self, name), name)
        for name in ("relationship_rape", "relationship_other", "relationship_child",
                     "domestic_abuse_by_relationship"):
            unknown = sorted(set(getattr(self, name)) - set(RELATIONSHIPS))
            if unknown:
                raise ParameterError(f"SyntheticConfig.{name} has unknown levels {unknown}; use {list(RELATIONSHIPS)}.")
        for group in OFFENCE_GROUPS:
            if group not in self.victim_age_bands:
                raise ParameterError(f"victim_age_bands needs a distribution for {group!r}.")
            _check_probabilities(self.victim_age_bands[group], f"victim_age_bands[{group!r}]")
            years = self.recorded_per_year.get(group)
            if not years or any(float(v) < 0 for v in years.values()):
                raise ParameterError(
                    f"recorded_per_year[{group!r}] needs non-negative volumes by financial year "
                    "('2019/20': 59104, ...).")
            for year in years:
                if not _financial_year_start(year):
                    raise ParameterError(
                        f"recorded_per_year[{group!r}] key {year!r} is not a financial year like '2019/20'.")
        knots = np.asarray(self.baseline_knots, dtype=float)
        if knots[0] != 0 or (np.diff(knots) <= 0).any():
            raise ParameterError("baseline_knots must start at 0 and increase.")
        for transition in TRANSITIONS:
            rates = np.asarray(self.baseline_hazard.get(transition, []), dtype=float)
            if rates.shape != knots.shape or not (rates > 0).all():
                raise ParameterError(
                    f"baseline_hazard[{transition!r}] needs {len(knots)} positive rates (one per knot).")
        for relationship in RELATIONSHIPS:
            for name, size in (("suspect_identification", 3), ("suspect_age", 3)):
                values = getattr(self, name).get(relationship)
                if values is None or len(values) != size:
                    raise ParameterError(f"{name}[{relationship!r}] needs {size} numbers (see describe()).")
        for covariate, effects in self.log_hazard_ratios.items():
            missing = set(CAUSES) - set(effects)
            if missing:
                raise ParameterError(f"log_hazard_ratios[{covariate!r}] lacks outcomes {sorted(missing)}.")
        for covariate, effects in self.stage_log_hazard_ratios.items():
            unknown = set(effects) - set(STAGES)
            if unknown or covariate not in self.log_hazard_ratios:
                raise ParameterError(
                    f"stage_log_hazard_ratios[{covariate!r}] must name a covariate of "
                    f"log_hazard_ratios and only the stages {list(STAGES)}.")
        for name, keys in (("after_interview", CAUSES), ("after_referral", CAUSES), ("device_effect", CAUSES),
                           ("programme_effect", TRANSITIONS), ("suspect_frailty", TRANSITIONS),
                           ("officer_effect", TRANSITIONS)):
            unknown = set(getattr(self, name)) - set(keys)
            if unknown:
                raise ParameterError(f"{name} has unknown keys {sorted(unknown)}; use {list(keys)}.")
        if self.programme_rule not in PROGRAMME_RULES:
            raise ParameterError(f"programme_rule must be one of {PROGRAMME_RULES}, not {self.programme_rule!r}.")
        if self.force_effect_mode not in FORCE_EFFECT_MODES:
            raise ParameterError(
                f"force_effect_mode must be one of {FORCE_EFFECT_MODES}, not {self.force_effect_mode!r}.")
        if self.programme_ramp_days < 0 or int(self.programme_ramp_steps) < 1:
            raise ParameterError("programme_ramp_days must be >= 0 and programme_ramp_steps >= 1.")

    # -- the programme's ramp -----------------------------------------------------------------
    def programme_ramp(self) -> pd.DataFrame:
        """The ramp: from ``days_from_start`` on, the programme has ``fraction`` of its effect.

        Examples
        --------
        >>> from soteria_research.data.synthetic import SyntheticConfig
        >>> SyntheticConfig(programme_ramp_days=90, programme_ramp_steps=3).programme_ramp()
           step  days_from_start  fraction
        0     1              0.0  0.333333
        1     2             30.0  0.666667
        2     3             60.0  1.000000
        """
        steps = int(self.programme_ramp_steps) if self.programme_ramp_days > 0 else 1
        k = np.arange(steps)
        return pd.DataFrame({"step": k + 1, "days_from_start": k * float(self.programme_ramp_days) / steps,
                             "fraction": (k + 1) / steps})


def _override(codes: pd.Series, draws: np.ndarray, explicit: dict) -> list[float]:
    return [float(explicit.get(code, d)) for code, d in zip(codes, draws)]


def _check_probabilities(table: dict, name: str) -> None:
    probs = np.asarray(list(table.values()), dtype=float)
    if (probs < 0).any() or probs.sum() <= 0:
        raise ParameterError(f"SyntheticConfig.{name} must hold non-negative probabilities.")


def _financial_year_start(label) -> int | None:
    """2019 for '2019/20'; None when the label is not a financial year."""
    text = str(label)
    if len(text) == 7 and text[4] == "/" and text[:4].isdigit() and text[5:].isdigit():
        first = int(text[:4])
        if (first + 1) % 100 == int(text[5:]):
            return first
    return None

"""Every number the synthetic case generator uses, in one documented, YAML-serialisable dataclass.

Each field says whether it is a calibration target taken from DOMAIN.md §4 (a fact) or a setting.
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


# Log hazard ratios per covariate and cause. Directions for relationship, offence group, delay and
# device follow DOMAIN.md §4; every magnitude is a setting. Coding: see `ground_truth`.
_LOG_HR = {
    "offence_group[other_sexual]": _effects(0.50, -0.10, -0.20, 0.30, 0.30),
    "relationship[partner_ex_partner]": _effects(-0.40, 0.45, -0.10, -3.00, 0.00),
    "relationship[family]": _effects(0.10, 0.20, 0.00, -3.00, 0.10),
    "relationship[online_contact]": _effects(-0.10, 0.10, 0.00, 0.80, 0.00),
    "relationship[position_of_trust]": _effects(0.30, -0.20, 0.00, -3.00, 0.20),
    "relationship[stranger]": _effects(0.50, -0.50, -0.20, 2.30, -0.20),
    "relationship[unknown]": _effects(-0.30, 0.00, -0.30, 2.00, 0.00),
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
    "device_requested": _effects(0.10, 0.40, 0.10, -0.50, 0.00),
    "soteria_active": _effects(0.60, -0.10, -0.05, 0.00, 0.00),
    "recorded_years_since_2019": _effects(0.15, 0.00, 0.00, 0.00, 0.00),
}

# Piecewise-constant baseline hazards (per day) for the reference case: an adult female victim
# of rape by an acquaintance, recent offence, no flags, recorded 2019-04-01 before Soteria,
# force effect 0. Tuned by hand until every calibration target of DOMAIN.md §4 holds.
_KNOTS = [0, 7, 30, 90, 180, 365, 730, 1460]
_BASELINE = {
    "charge": [0.0000037, 0.000009, 0.000022, 0.000083, 0.000274, 0.0004, 0.000315, 0.000166],
    "victim_withdrawal": [0.022, 0.0045, 0.0014, 0.0006, 0.00035, 0.00015, 0.0001, 0.0001],
    "evidential_difficulty": [0.00005, 0.0001, 0.0004, 0.0012, 0.0013, 0.0005, 0.0003, 0.0003],
    "no_suspect": [0.000035, 0.00007, 0.0002, 0.00034, 0.00027, 0.0001, 0.00008, 0.00008],
    "other": [0.00005, 0.0002, 0.0004, 0.0008, 0.0006, 0.00025, 0.00015, 0.00015],
}


@dataclass
class SyntheticConfig:
    """All numbers behind :func:`soteria_research.data.synthetic.generate_cases`.

    Fields marked ``kind="fact"`` in their metadata reproduce a national figure of DOMAIN.md §4;
    every other field is a **setting**: a plausible choice, not an established fact, which
    reports must never present as a finding. ``describe()`` lists every field with its kind and
    documentation; ``to_yaml``/``from_yaml`` save and load the whole object.

    Examples
    --------
    >>> from soteria_research.data.synthetic import SyntheticConfig
    >>> config = SyntheticConfig(repeat_suspect_share=0.3)
    >>> SyntheticConfig.from_yaml_text(config.to_yaml_text()) == config
    True
    """

    # --- volumes -------------------------------------------------------------------------
    annual_cases: float = _setting(
        193_000.0, "RASSO crimes recorded a year nationally at scale 1 (DOMAIN §4: about 3x the "
        "68-71k rapes; gives about 69.5k rapes a year).", "fact")
    rape_share: float = _setting(0.36, "Share of RASSO crimes that are rape.", "fact")
    female_share: float = _setting(0.84, "Share of victims of all sexual offences who are female.", "fact")
    female_share_rape: float = _setting(0.90, "Share of rape victims who are female.", "fact")
    sex_not_stated_share: float = _setting(0.005, "Share of victims whose sex is not recorded.")
    force_rate_sd: float = _setting(
        0.30, "SD of the log force-level recording-rate multiplier (volumes vary more than population).")
    force_seed: int = _setting(
        20240331, "Seed of the force-level draws (rate multipliers and force hazard effects), fixed "
        "so that `ground_truth(config)` does not depend on the case-level seed.")
    force_effect_sd: dict = _setting(
        dict(charge=0.25, victim_withdrawal=0.15, evidential_difficulty=0.15, no_suspect=0.15, other=0.20),
        "SD of the force log hazard ratio per cause (force effects are drawn once from force_seed).")
    force_rate_multiplier: dict = _setting(
        {}, "Explicit force rate multipliers (force code -> multiplier) overriding the seeded draws.")
    force_log_hr: dict = _setting(
        {}, "Explicit force log hazard ratios (force code -> {cause: value}) overriding the draws.")

    # --- victims -------------------------------------------------------------------------
    victim_age_bands: dict = _setting(
        {"0-12": 0.12, "13-15": 0.17, "16-17": 0.08, "18-24": 0.22, "25-34": 0.19,
         "35-44": 0.11, "45-59": 0.08, "60-90": 0.03},
        "Distribution of victim age at first report (uniform within a band).")
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

    # --- the crime -------------------------------------------------------------------------
    relationship_rape: dict = _setting(
        {"partner_ex_partner": 0.42, "family": 0.04, "acquaintance_friend": 0.37, "online_contact": 0.05,
         "position_of_trust": 0.01, "stranger": 0.08, "unknown": 0.03},
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
        "Probability of the domestic-abuse flag given the relationship.")
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

    # --- hazards (the ground truth) ------------------------------------------------------
    baseline_knots: list = _setting(
        _KNOTS, "Days since recording at which the piecewise-constant baseline hazards change.")
    baseline_hazard: dict = _setting(
        _BASELINE, "Per-day baseline hazard per cause and interval (reference covariates).")
    log_hazard_ratios: dict = _setting(
        _LOG_HR, "True log hazard ratio per covariate and cause (directions from DOMAIN §4).")
    transfer_rate: float = _setting(
        0.00003, "Per-day hazard of transfer to another body (outcome 20, censored).")
    soteria_start: dict = _setting(
        {"pilot_2021": "2021-07-01", "pathfinder_2021": "2022-01-01", "expansion_2022": "2022-10-01",
         "national_2023": "2023-07-01"},
        "Date from which a force's newly recorded cases are `soteria_active` (by soteria_wave).")

    # --- suspects and stages -------------------------------------------------------------
    suspect_identification: dict = _setting(
        {"partner_ex_partner": [0.99, 0.97, 3.0], "family": [0.98, 0.95, 5.0],
         "acquaintance_friend": [0.96, 0.93, 7.0], "online_contact": [0.80, 0.50, 20.0],
         "position_of_trust": [0.98, 0.95, 5.0], "stranger": [0.35, 0.20, 40.0],
         "unknown": [0.50, 0.40, 30.0]},
        "Per relationship: [probability a suspect is ever identified, share identified on the "
        "recording day, mean further days (exponential)].")
    repeat_suspect_share: float = _setting(0.25, "Share of suspects named in more than one case.")
    cross_force_share: float = _setting(0.10, "Share of repeat suspects with cases in more than one force.")
    suspect_male_share: float = _setting(0.95, "Share of suspects who are male (1% not stated).")
    interview_share: dict = _setting(
        dict(charge=1.0, victim_withdrawal=0.35, evidential_difficulty=0.85, no_suspect=0.0, other=0.70),
        "Probability the suspect is interviewed before the outcome, by outcome cause.")
    arrest_share: float = _setting(0.55, "Share of interviewed suspects arrested first (others voluntary).")
    file_share: dict = _setting(
        dict(charge=1.0, victim_withdrawal=0.05, evidential_difficulty=0.19, no_suspect=0.0, other=0.07),
        "Probability the file goes to the CPS for a decision, by outcome cause (interviewed cases).")
    file_to_decision_days_mean: float = _setting(
        265.0, "Mean days from file to CPS decision before truncation by the case's span "
        "(DOMAIN §4: 53 in 2015/16 to about 166 in 2023).")
    decision_to_charge_same_day_share: float = _setting(0.70, "Share of charges on the CPS decision day.")
    charge_alternative_share: float = _setting(0.10, "Share of charges for an alternative offence (1A).")
    other_outcome_codes: dict = _setting(
        {"10": 0.30, "21": 0.22, "8": 0.10, "3": 0.06, "2": 0.03, "22": 0.06, "9": 0.06, "11": 0.05,
         "5": 0.03, "12": 0.02, "13": 0.04, "17": 0.01, "4": 0.01},
        "How the `other` cause splits into out-of-court and prevented/NPI outcome codes.")
    charge_to_verdict_days_mean: float = _setting(
        490.0, "Mean days from charge to court outcome before truncation; verdicts in a year then "
        "average about 450 days (DOMAIN §4), since charge volumes grow.")
    charge_to_verdict_days_sd: float = _setting(220.0, "SD of days from charge to court outcome.")
    court_outcome: dict = _setting(
        {"convicted": 0.64, "acquitted": 0.27, "discontinued": 0.09},
        "Court outcome of charged cases (conviction rate 57-71% of completed prosecutions).")

    # --- digital forensics, officers -----------------------------------------------------
    device_request_share: dict = _setting(
        {"rape": 0.50, "other_sexual": 0.28}, "Share of crimes with a victim device request.")
    device_request_days_mean: float = _setting(4.0, "Mean days from report to device request.")
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

    # -- derived tables ---------------------------------------------------------------------
    def force_table(self, forces: pd.DataFrame) -> pd.DataFrame:
        """Per force: population, rate multiplier, Soteria start and log hazard ratio per cause.

        The draws come from ``force_seed`` only, so the same configuration always gives the same
        force effects whatever the case-level seed.
        """
        rng = np.random.default_rng(self.force_seed)
        n = len(forces)
        table = forces[["code", "population_2011", "soteria_wave"]].rename(columns={"code": "force"}).copy()
        multiplier = np.exp(rng.normal(-0.5 * self.force_rate_sd**2, self.force_rate_sd, n))
        table["rate_multiplier"] = [
            float(self.force_rate_multiplier.get(code, m)) for code, m in zip(table["force"], multiplier)
        ]
        for cause in CAUSES:
            draws = rng.normal(0.0, float(self.force_effect_sd.get(cause, 0.0)), n)
            table[f"log_hr_{cause}"] = [
                float(self.force_log_hr.get(code, {}).get(cause, d)) for code, d in zip(table["force"], draws)
            ]
        unknown_wave = sorted(set(table["soteria_wave"]) - set(self.soteria_start))
        if unknown_wave:
            raise ParameterError(f"soteria_start has no date for waves {unknown_wave}.")
        table["soteria_start"] = pd.to_datetime(table["soteria_wave"].map(self.soteria_start))
        return table.reset_index(drop=True)

    def check(self) -> None:
        """Raise ParameterError when a distribution or hazard is malformed."""
        for name in ("victim_age_bands", "victim_ethnicity", "suspect_ethnicity", "relationship_rape",
                     "relationship_other", "relationship_child", "other_outcome_codes", "court_outcome"):
            probs = np.asarray(list(getattr(self, name).values()), dtype=float)
            if (probs < 0).any() or probs.sum() <= 0:
                raise ParameterError(f"SyntheticConfig.{name} must hold non-negative probabilities.")
        knots = np.asarray(self.baseline_knots, dtype=float)
        if knots[0] != 0 or (np.diff(knots) <= 0).any():
            raise ParameterError("baseline_knots must start at 0 and increase.")
        for cause in CAUSES:
            rates = np.asarray(self.baseline_hazard.get(cause, []), dtype=float)
            if rates.shape != knots.shape or (rates <= 0).any():
                raise ParameterError(
                    f"baseline_hazard[{cause!r}] needs {len(knots)} positive rates (one per knot)."
                )
        relationships = ("partner_ex_partner", "family", "acquaintance_friend", "online_contact",
                         "position_of_trust", "stranger", "unknown")
        for relationship in relationships:
            values = self.suspect_identification.get(relationship)
            if values is None or len(values) != 3:
                raise ParameterError(
                    f"suspect_identification[{relationship!r}] needs [probability ever identified, "
                    "share on the recording day, mean further days].")
        for covariate, effects in self.log_hazard_ratios.items():
            missing = set(CAUSES) - set(effects)
            if missing:
                raise ParameterError(f"log_hazard_ratios[{covariate!r}] lacks causes {sorted(missing)}.")

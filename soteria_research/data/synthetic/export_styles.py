"""Force records-system exports of synthetic cases: files shaped like real forces' extracts,
each with the mapping that reads it back and a list of the defects put into it.

Each style differs the way real exports do: column names, date and date-time formats (UK local
or UTC), yes/no words (``Y``/``N``, ``Y``/blank, ``1``/``0``), "not known" tokens (``N/K``,
``-``, ``Unknown``), code labels, a force column or none (a one-force file), extra identifying
columns to drop. Each injects a known number of defective rows, so a test can check that the
validator quarantines exactly those.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import ParameterError
from ..dictionary import load_dictionary

_SEX = {"female": "F", "male": "M", "not_stated": "U"}
_ETHNICITY = {"white": "White", "black": "Black", "asian": "Asian", "mixed": "Mixed",
              "other": "Other", "not_stated": "Not Stated"}

# Direct identifiers and system fields a real export carries and analysis must never see.
RMS_DROP = ["Victim Name", "Victim Postcode", "OIC Name", "Beat Code"]


@dataclass(frozen=True)
class ExportStyle:
    """How one kind of records system writes the case record.

    Attributes
    ----------
    name, description : str
    columns : dict
        Their column name -> canonical field, in file order.
    date_format : str
        ``strftime`` format of date fields.
    datetime_formats : dict
        Field -> format, for fields written as date-times (with a time of day).
    utc : bool
        Date-times are written in UTC (``Z``): a reader must turn them back into UK dates.
    true_word, false_word : str
        How flags are written (``false_word`` may be blank).
    missing : dict
        Field -> what is written for a missing value (default blank).
    codes : dict
        Field -> canonical code -> their label.
    force : str
        ``"name"`` (the dictionary's force name), ``"formal"`` (``Cumbria Constabulary``) or
        ``"none"`` (a one-force file with no force column).
    extract_column : bool
        Whether the file has an extract-date column (else the mapping gives it as a constant).
    extra_columns : tuple
        ``(their name, position or None for the end, writer(rng, n) -> values)`` columns that
        the mapping drops.
    defect_kinds : tuple
        Kinds of defective rows injected (see :class:`StyledExport`).
    """

    name: str
    description: str
    columns: dict[str, str]
    date_format: str
    datetime_formats: dict[str, str] = field(default_factory=dict)
    utc: bool = False
    true_word: str = "Y"
    false_word: str = "N"
    missing: dict[str, str] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    force: str = "name"
    extract_column: bool = True
    offence_code: Callable[[pd.Series], pd.Series] = lambda codes: codes.astype(object)
    outcome_code: Callable[[pd.Series, np.random.Generator], np.ndarray] | None = None
    outcome_recode: Callable[[], dict[str, str | None]] | None = None
    extra_columns: tuple = ()
    defect_kinds: tuple[str, ...] = ("bad_date", "unknown_offence_code", "outcome_19",
                                     "recorded_before_report", "conflicting_duplicate")

    def column_of(self, name: str) -> str:
        """Their column name for canonical field ``name``."""
        return next(their for their, f in self.columns.items() if f == name)

    def format_of(self, name: str) -> str:
        return self.datetime_formats.get(name, self.date_format)


# ------------------------------------------------------------------------------------------
# rms-export: dd/mm/yyyy, Y/N, force names, OC-prefixed outcomes
# ------------------------------------------------------------------------------------------
RMS_COLUMNS = {
    "Crime Number": "crime_ref", "Force Name": "force", "HO Offence Code": "offence_code",
    "Offence From Date": "offence_start_date", "Offence To Date": "offence_end_date",
    "Date Reported": "report_date", "Date Recorded": "recorded_date",
    "Third Party Report": "third_party_report", "DA Flag": "domestic_abuse",
    "Victim URN": "victim_id", "Victim Age": "victim_age", "Victim Gender": "victim_sex",
    "Victim Ethnicity": "victim_ethnicity", "Vuln Mental Health": "victim_mental_health",
    "Vuln Disability": "victim_disability", "Vuln Alcohol/Drugs": "victim_substance_use",
    "Suspect URN": "suspect_id", "Suspect Age": "suspect_age", "Suspect Gender": "suspect_sex",
    "Suspect Ethnicity": "suspect_ethnicity", "Relationship To Victim": "relationship",
    "Date Suspect Identified": "suspect_identified_date", "Date Arrested": "arrest_date",
    "Date Interviewed": "interview_date", "Date File To CPS": "file_to_cps_date",
    "CPS Decision Date": "cps_decision_date", "CPS Decision": "cps_decision",
    "Date Charged": "charge_date", "OIC Ref": "officer_id",
    "Device Seized Date": "device_requested_date", "Device Returned Date": "device_returned_date",
    "Outcome": "outcome_code", "Outcome Date": "outcome_date", "Court Result": "court_outcome",
    "Court Result Date": "court_outcome_date", "Extract Date": "extract_date",
}
_RMS_CODES = {
    "victim_sex": _SEX, "suspect_sex": _SEX,
    "victim_ethnicity": _ETHNICITY, "suspect_ethnicity": _ETHNICITY,
    "relationship": {"partner_ex_partner": "Partner/Ex-Partner", "family": "Family Member",
                     "acquaintance_friend": "Acquaintance/Friend", "online_contact": "Met Online",
                     "position_of_trust": "Position of Trust", "stranger": "Stranger",
                     "unknown": "Not Known"},
    "cps_decision": {"charge": "Charge", "no_further_action": "NFA",
                     "further_investigation": "Action Plan", "out_of_court": "OOCD Advised"},
    "court_outcome": {"convicted": "Guilty", "acquitted": "Not Guilty", "discontinued": "Discontinued"},
}


def _rms_outcome(codes: pd.Series, rng: np.random.Generator) -> np.ndarray:
    text = ("OC" + codes.astype(object)).to_numpy(dtype=object)
    return np.where(codes.isna(), np.where(rng.random(len(codes)) < 0.5, "OPEN", ""), text)


def _rms_outcome_recode() -> dict[str, str | None]:
    return {f"OC{code}": code for code in load_dictionary().outcome_codes["code"]} | {"OPEN": "0"}


def _beat_codes(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.char.add("B", rng.integers(100, 999, n).astype(str)).astype(object)


RMS_EXPORT = ExportStyle(
    name="rms-export",
    description="A records-system export: its own column names, UK dd/mm/yyyy dates, codes as "
                "text (OC16, F, Partner/Ex-Partner), Y/N flags, blanks for missing, open "
                "outcomes as OPEN or blank, force names, identifier columns to drop.",
    columns=RMS_COLUMNS, date_format="%d/%m/%Y", codes=_RMS_CODES,
    outcome_code=_rms_outcome, outcome_recode=_rms_outcome_recode,
    extra_columns=(("Victim Name", 1, lambda rng, n: np.full(n, "SYNTHETIC", dtype=object)),
                   ("Victim Postcode", 2, lambda rng, n: np.full(n, "ZZ99 9ZZ", dtype=object)),
                   ("OIC Name", None, lambda rng, n: np.full(n, "SYNTHETIC", dtype=object)),
                   ("Beat Code", None, _beat_codes)),
)


# ------------------------------------------------------------------------------------------
# case-file: one force, no force or extract column, date-times, Y/blank, N/K and '-'
# ------------------------------------------------------------------------------------------
CASE_FILE_COLUMNS = {
    "CRIME_REF_NO": "crime_ref", "HO_CLASS": "offence_code",
    "OFFENCE_DATE_FROM": "offence_start_date", "OFFENCE_DATE_TO": "offence_end_date",
    "REPORTED_DTTM": "report_date", "RECORDED_DTTM": "recorded_date",
    "THIRD_PARTY_RPT": "third_party_report", "DOMESTIC_FLAG": "domestic_abuse",
    "IP_URN": "victim_id", "IP_AGE": "victim_age", "IP_GENDER": "victim_sex",
    "IP_ETHNICITY_SDE": "victim_ethnicity", "IP_MENTAL_HEALTH": "victim_mental_health",
    "IP_DISABILITY": "victim_disability", "IP_ALCOHOL_DRUGS": "victim_substance_use",
    "SUSPECT_URN": "suspect_id", "SUSPECT_AGE": "suspect_age", "SUSPECT_GENDER": "suspect_sex",
    "SUSPECT_ETHNICITY_SDE": "suspect_ethnicity", "RELATIONSHIP": "relationship",
    "SUSPECT_NAMED_DATE": "suspect_identified_date", "ARREST_DATE": "arrest_date",
    "INTERVIEW_DATE": "interview_date", "CPS_FILE_DATE": "file_to_cps_date",
    "CPS_DECISION_DATE": "cps_decision_date", "CPS_DECISION": "cps_decision",
    "CHARGE_DATE": "charge_date", "OIC_COLLAR_NO": "officer_id",
    "PHONE_REQUESTED_DATE": "device_requested_date", "PHONE_RETURNED_DATE": "device_returned_date",
    "HO_OUTCOME": "outcome_code", "OUTCOME_DTTM": "outcome_date", "COURT_RESULT": "court_outcome",
    "COURT_RESULT_DATE": "court_outcome_date",
}
# Self-defined ethnicity, 18+1 codes: one code per group stands for the group here.
_SDE = {"white": "W1", "black": "B2", "asian": "A1", "mixed": "M3", "other": "O9", "not_stated": "NS"}
_CASE_FILE_CODES = {
    "victim_sex": {"female": "Female", "male": "Male", "not_stated": "Unknown"},
    "suspect_sex": {"female": "Female", "male": "Male", "not_stated": "Unknown"},
    "victim_ethnicity": _SDE, "suspect_ethnicity": _SDE,
    "relationship": {"partner_ex_partner": "Partner or ex-partner", "family": "Family",
                     "acquaintance_friend": "Acquaintance", "online_contact": "Online contact",
                     "position_of_trust": "Position of trust", "stranger": "Stranger",
                     "unknown": "N/K"},
    "cps_decision": {"charge": "Charge authorised", "no_further_action": "NFA",
                     "further_investigation": "Action plan", "out_of_court": "OOCD"},
    "court_outcome": {"convicted": "Guilty", "acquitted": "Not guilty", "discontinued": "Discontinued"},
}


def _padded_outcome(codes: pd.Series, rng: np.random.Generator) -> np.ndarray:
    text = codes.astype(object).where(codes.isna(), codes.astype(str).str.zfill(2))
    return text.where(codes.notna(), "-").to_numpy(dtype=object)


CASE_FILE = ExportStyle(
    name="case-file",
    description="One force's case-management extract: no force or extract-date column, "
                "UPPER_SNAKE headers, dd/mm/yyyy dates and dd/mm/yyyy HH:MM date-times, "
                "Y/blank flags, N/K and '-' for not known, 18+1 ethnicity codes, zero-padded "
                "Home Office codes.",
    columns=CASE_FILE_COLUMNS, date_format="%d/%m/%Y",
    datetime_formats={"report_date": "%d/%m/%Y %H:%M", "recorded_date": "%d/%m/%Y %H:%M",
                      "outcome_date": "%d/%m/%Y %H:%M"},
    true_word="Y", false_word="",
    missing={"victim_age": "N/K", "suspect_age": "N/K", "suspect_id": "N/K", "suspect_sex": "-",
             "suspect_ethnicity": "-", "cps_decision": "-", "court_outcome": "-"},
    codes=_CASE_FILE_CODES, force="none", extract_column=False,
    offence_code=lambda codes: codes.astype(str).str.replace(
        r"^(\d+)", lambda m: m.group(1).zfill(3), regex=True).astype(object),
    outcome_code=_padded_outcome,
    extra_columns=(("IP_SURNAME", 9, lambda rng, n: np.full(n, "SYNTHETIC", dtype=object)),
                   ("IP_DOB", 10, lambda rng, n: np.full(n, "01/01/1900", dtype=object)),
                   ("OIC_NAME", None, lambda rng, n: np.full(n, "SYNTHETIC", dtype=object)),
                   ("MO_TEXT", None, lambda rng, n: np.full(n, "synthetic free text", dtype=object))),
    defect_kinds=("bad_date", "unknown_offence_code", "outcome_19", "recorded_before_report",
                  "conflicting_duplicate", "placeholder_victim_id"),
)


# ------------------------------------------------------------------------------------------
# warehouse: camelCase, ISO dates, UTC date-times, 1/0 flags, "Unknown", formal force names
# ------------------------------------------------------------------------------------------
WAREHOUSE_COLUMNS = {
    "crimeReference": "crime_ref", "forceName": "force", "offenceCode": "offence_code",
    "offenceStartDate": "offence_start_date", "offenceEndDate": "offence_end_date",
    "reportedTimestamp": "report_date", "recordedTimestamp": "recorded_date",
    "isThirdPartyReport": "third_party_report", "isDomesticAbuse": "domestic_abuse",
    "victimId": "victim_id", "victimAgeYears": "victim_age", "victimSex": "victim_sex",
    "victimEthnicGroup": "victim_ethnicity", "victimMentalHealthFlag": "victim_mental_health",
    "victimDisabilityFlag": "victim_disability", "victimAlcoholDrugsFlag": "victim_substance_use",
    "suspectId": "suspect_id", "suspectAgeYears": "suspect_age", "suspectSex": "suspect_sex",
    "suspectEthnicGroup": "suspect_ethnicity", "victimSuspectRelationship": "relationship",
    "suspectIdentifiedDate": "suspect_identified_date", "firstArrestDate": "arrest_date",
    "firstInterviewDate": "interview_date", "cpsReferralDate": "file_to_cps_date",
    "cpsDecisionDate": "cps_decision_date", "cpsDecisionResult": "cps_decision",
    "chargeDate": "charge_date", "officerInChargeId": "officer_id",
    "deviceRequestedDate": "device_requested_date", "deviceReturnedDate": "device_returned_date",
    "outcomeType": "outcome_code", "outcomeTimestamp": "outcome_date",
    "courtOutcome": "court_outcome", "courtOutcomeDate": "court_outcome_date",
    "extractTimestamp": "extract_date",
}
_GROUPS = {"white": "White", "black": "Black or Black British", "asian": "Asian or Asian British",
           "mixed": "Mixed", "other": "Other ethnic group", "not_stated": "Not stated"}
_WAREHOUSE_CODES = {
    "victim_sex": {"female": "Female", "male": "Male", "not_stated": "Not stated"},
    "suspect_sex": {"female": "Female", "male": "Male", "not_stated": "Not stated"},
    "victim_ethnicity": _GROUPS, "suspect_ethnicity": _GROUPS,
    "relationship": {"partner_ex_partner": "Partner / ex-partner", "family": "Family member",
                     "acquaintance_friend": "Friend or acquaintance", "online_contact": "Met online",
                     "position_of_trust": "Professional", "stranger": "Stranger",
                     "unknown": "Not known"},
    "cps_decision": {"charge": "Charged", "no_further_action": "No further action",
                     "further_investigation": "Further investigation", "out_of_court": "Out of court disposal"},
    "court_outcome": {"convicted": "Convicted", "acquitted": "Acquitted", "discontinued": "Discontinued"},
}
# Forces styled "Constabulary"; the Met is a Service; the rest are "Police".
_CONSTABULARIES = {"avon_and_somerset", "cambridgeshire", "cheshire", "cumbria", "derbyshire",
                   "durham", "gloucestershire", "hampshire", "hertfordshire", "lancashire",
                   "norfolk", "suffolk"}


def formal_force_names() -> dict[str, str]:
    """Force code -> the force's name as an organisation (``Cumbria Constabulary``)."""
    forces = load_dictionary().forces
    return {code: (f"{name} Service" if code == "metropolitan" else
                   f"{name} {'Constabulary' if code in _CONSTABULARIES else 'Police'}")
            for code, name in zip(forces["code"], forces["name"])}


def _labelled_outcome(codes: pd.Series, rng: np.random.Generator) -> np.ndarray:
    labels = dict(zip(load_dictionary().outcome_codes["code"], load_dictionary().outcome_codes["label"]))
    text = codes.map(lambda c: f"{c} - {labels[c]}" if isinstance(c, str) else c)
    return text.where(codes.notna(), "Under investigation").to_numpy(dtype=object)


def _labelled_outcome_recode() -> dict[str, str | None]:
    table = load_dictionary().outcome_codes
    return ({f"{c} - {label}": c for c, label in zip(table["code"], table["label"])}
            | {"Under investigation": "0"})


WAREHOUSE = ExportStyle(
    name="warehouse",
    description="A data-warehouse extract: camelCase headers, ISO dates, UTC date-times "
                "(2023-07-01T23:30:00Z, a UK date of 2 July), 1/0 flags, 'Unknown' for not "
                "known, forces by their organisation names, outcomes as code and label.",
    columns=WAREHOUSE_COLUMNS, date_format="%Y-%m-%d",
    datetime_formats={"report_date": "%Y-%m-%dT%H:%M:%SZ", "recorded_date": "%Y-%m-%dT%H:%M:%SZ",
                      "outcome_date": "%Y-%m-%dT%H:%M:%SZ", "extract_date": "%Y-%m-%dT%H:%M:%SZ"},
    utc=True, true_word="1", false_word="0",
    missing={"victim_age": "Unknown", "suspect_age": "Unknown", "suspect_id": "Unknown",
             "suspect_sex": "Unknown", "suspect_ethnicity": "Unknown"},
    codes=_WAREHOUSE_CODES, force="formal",
    outcome_code=_labelled_outcome, outcome_recode=_labelled_outcome_recode,
    extra_columns=(("victimFullName", 10, lambda rng, n: np.full(n, "SYNTHETIC", dtype=object)),
                   ("narrative", None, lambda rng, n: np.full(n, "synthetic free text", dtype=object)),
                   ("createdBy", None, lambda rng, n: np.char.add(
                       "user", rng.integers(10, 99, n).astype(str)).astype(object))),
    defect_kinds=("bad_date", "unknown_offence_code", "outcome_19", "recorded_before_report",
                  "conflicting_duplicate", "unreadable_flag"),
)

EXPORT_STYLES: dict[str, ExportStyle] = {s.name: s for s in (RMS_EXPORT, CASE_FILE, WAREHOUSE)}


def export_style(name: str) -> ExportStyle:
    """The export style called ``name`` (one of :data:`EXPORT_STYLES`).

    Examples
    --------
    >>> export_style("rms-export").date_format
    '%d/%m/%Y'
    """
    try:
        return EXPORT_STYLES[name]
    except KeyError:
        raise ParameterError(
            f"Unknown export style {name!r}: use one of {', '.join(EXPORT_STYLES)}."
        ) from None


# ------------------------------------------------------------------------------------------
# The true mapping of each style
# ------------------------------------------------------------------------------------------
def export_mapping(style: str | ExportStyle = "rms-export", cases: pd.DataFrame | None = None) -> dict:
    """The mapping (for ``read_cases(..., mapping=...)``) that reads ``style``'s files exactly.

    One-force styles need ``cases`` (or the exported frame's source cases) for the force and
    extract-date constants.

    Examples
    --------
    >>> from soteria_research.data.mapping import load_mapping
    >>> load_mapping(export_mapping("warehouse"))["columns"]["recordedTimestamp"]
    {'field': 'recorded_date', 'date_format': '%Y-%m-%dT%H:%M:%S%z'}
    """
    style = export_style(style) if isinstance(style, str) else style
    dictionary = load_dictionary()
    columns: dict[str, object] = {}
    for their, name in style.columns.items():
        kind = dictionary[name].type
        entry: dict[str, object] = {"field": name}
        if name in style.datetime_formats:
            entry["date_format"] = style.datetime_formats[name].replace("Z", "%z") if style.utc \
                else style.datetime_formats[name]
        if kind == "boolean" and style.false_word == "":
            entry |= {"true_values": [style.true_word], "false_values": [""]}
        columns[their] = entry if len(entry) > 1 else name
    values: dict[str, dict] = {}
    if style.force == "name":
        values["force"] = dict(zip(dictionary.forces["name"], dictionary.forces["code"]))
    elif style.force == "formal":
        values["force"] = {formal: code for code, formal in formal_force_names().items()}
    if style.outcome_recode is not None:
        values["outcome_code"] = style.outcome_recode()
    for name, table in style.codes.items():
        values[name] = {label: code for code, label in table.items()}
    mapping: dict[str, object] = {
        "mapping_version": 2,
        "name": f"synthetic {style.name} file",
        "description": f"Maps soteria generate --style {style.name} files to the canonical case record.",
        "columns": columns,
    }
    constants = {}
    if style.force == "none":
        constants["force"] = _single(cases, "force", style)
    if not style.extract_column:
        constants["extract_date"] = pd.Timestamp(_single(cases, "extract_date", style)).date().isoformat()
    if constants:
        mapping["constants"] = constants
    mapping["date_format"] = style.date_format
    if style.false_word:  # a blank false is said per column, above
        mapping["true_values"], mapping["false_values"] = [style.true_word], [style.false_word]
    tokens = sorted(set(style.missing.values()))
    if tokens:
        mapping["missing_values"] = tokens
    mapping["values"] = values
    mapping["drop"] = [name for name, _, _ in style.extra_columns]
    return mapping


def _single(cases: pd.DataFrame | None, name: str, style: ExportStyle):
    if cases is None:
        return {"force": "FORCE_CODE", "extract_date": "2024-03-31"}[name]
    values = pd.unique(cases[name].dropna())
    if len(values) != 1:
        raise ParameterError(
            f"The {style.name} style is one force's file with one extract date, but the cases "
            f"have {len(values)} values of {name}: generate one force (--forces CODE)."
        )
    return values[0]


def export_mapping_yaml(style: str | ExportStyle = "rms-export", cases: pd.DataFrame | None = None) -> str:
    """The text of a style's mapping file.

    Examples
    --------
    >>> "mapping_version: 2" in export_mapping_yaml("rms-export")
    True
    """
    import yaml

    style = export_style(style) if isinstance(style, str) else style
    header = (f"# Mapping for files written by `soteria generate --style {style.name}` "
              "(see synthetic_data/README.md).\n"
              "# Generated by soteria_research.data.synthetic.export_mapping(): do not edit.\n")
    return header + yaml.safe_dump(export_mapping(style, cases), sort_keys=False,
                                   allow_unicode=True, width=100)


def rms_export_mapping() -> dict:
    """The mapping of :func:`to_rms_export`'s files (``export_mapping("rms-export")``)."""
    return export_mapping(RMS_EXPORT)


def rms_export_mapping_yaml() -> str:
    """The text of the rms-export mapping file."""
    return export_mapping_yaml(RMS_EXPORT)


# ------------------------------------------------------------------------------------------
# Writing an export
# ------------------------------------------------------------------------------------------
@dataclass
class StyledExport:
    """A records-system-like export and what was done to it.

    Attributes
    ----------
    frame : DataFrame
        All text, the style's own column names, in file order.
    defects : DataFrame
        One row per injected problem: ``kind`` (``duplicate_row``, ``conflicting_duplicate``,
        ``bad_date``, ``unknown_offence_code``, ``outcome_19``, ``recorded_before_report``,
        ``placeholder_victim_id``, ``unreadable_flag``), ``crime_ref`` and ``rows``: file rows
        a validator quarantines because of it (an exact duplicate loses its extra copy only; a
        conflicting duplicate loses both rows).
    style : str
        The style's name.
    """

    frame: pd.DataFrame
    defects: pd.DataFrame
    style: str = "rms-export"


RmsExport = StyledExport  # the name of the first (and then only) style's result


def to_export(cases: pd.DataFrame, style: str | ExportStyle = "rms-export", *, seed: int = 0,
              defect_share: float = 0.001) -> StyledExport:
    """Turn canonical cases into what a force's records system might export, in ``style``.

    About ``defect_share`` of rows of each defect kind of the style (at least one each when
    there are 12 rows or more) are made invalid, plus as many exact duplicate rows.

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases, to_export
    >>> cases = generate_cases(forces=["durham"], start="2023-01-01", end="2023-03-31", seed=1)
    >>> export = to_export(cases, "case-file", seed=1)
    >>> bool(export.frame["RECORDED_DTTM"].str.match(r"\\d\\d/\\d\\d/\\d{4} \\d\\d:\\d\\d$").all())
    True
    """
    style = export_style(style) if isinstance(style, str) else style
    rng = np.random.default_rng(seed)
    dictionary = load_dictionary()
    n = len(cases)
    if style.force == "none" and n:
        _single(cases, "force", style)
    if not style.extract_column and n:
        _single(cases, "extract_date", style)
    moments = {name: _moments(cases[name], name in style.datetime_formats, rng, whole_day=style.utc)
               for name in dictionary.date_fields if name in style.columns.values()}
    _in_order(moments, "report_date", "recorded_date")
    _in_order(moments, "recorded_date", "outcome_date")
    out = {}
    for their, name in style.columns.items():
        out[their] = _written(cases[name], name, style, moments.get(name), rng)
    frame = pd.DataFrame(out)
    for their, position, writer in style.extra_columns:
        values = writer(rng, n)
        if position is None:
            frame[their] = values
        else:
            frame.insert(position, their, values)
    frame, defects = _inject_defects(frame, cases, style, moments, rng, defect_share)
    return StyledExport(frame=frame, defects=defects, style=style.name)


def _moments(dates: pd.Series, with_time: bool, rng: np.random.Generator, *,
             whole_day: bool = False) -> np.ndarray:
    """UK local date-times: the date plus a time of day, 07:00-22:59; for UTC styles any time
    but 01:00-01:59, so that a summer time before 01:00 falls on the previous day in UTC."""
    days = dates.to_numpy(dtype="datetime64[D]")
    moments = days.astype("datetime64[m]")
    if with_time:
        first, last = (0, 24 * 60) if whole_day else (7 * 60, 23 * 60)
        minutes = rng.integers(first, last, len(days))
        # 01:00-01:59 does not exist, or happens twice, on a clock-change day: keep clear of it.
        minutes = np.where((minutes >= 60) & (minutes < 120), minutes + 60, minutes)
        moments = moments + minutes.astype("timedelta64[m]")
    return moments


def _in_order(moments: dict, earlier: str, later: str) -> None:
    """On a day when both happened, the earlier event gets the earlier time of the two."""
    if earlier not in moments or later not in moments:
        return
    first, second = moments[earlier], moments[later]
    swap = (first > second) & (first.astype("datetime64[D]") == second.astype("datetime64[D]"))
    moments[earlier], moments[later] = np.where(swap, second, first), np.where(swap, first, second)


def _written(values: pd.Series, name: str, style: ExportStyle, moments, rng) -> np.ndarray:
    dictionary = load_dictionary()
    kind = dictionary[name].type
    if kind == "date":
        text = _format_moments(moments, style.format_of(name), utc=style.utc and name in style.datetime_formats)
    elif kind == "boolean":
        text = np.where(values.to_numpy(), style.true_word, style.false_word).astype(object)
    elif name == "force":
        names = (dict(zip(dictionary.forces["code"], dictionary.forces["name"])) if style.force == "name"
                 else formal_force_names())
        text = values.map(names).to_numpy(dtype=object)
    elif name == "offence_code":
        text = style.offence_code(values).to_numpy(dtype=object)
    elif name == "outcome_code" and style.outcome_code is not None:
        text = style.outcome_code(values, rng)
    elif name in style.codes:
        text = values.map(style.codes[name]).to_numpy(dtype=object)
    else:
        text = values.astype(object).to_numpy()
    missing = style.missing.get(name, "")
    return pd.Series(text, dtype=object).where(pd.notna(text), missing).astype(str).to_numpy(dtype=object)


_TOKEN = re.compile(r"%[dmYyHMS]")


def _format_moments(moments: np.ndarray, fmt: str, *, utc: bool = False) -> np.ndarray:
    """Text of date-times in ``fmt`` (``%d %m %Y %y %H %M %S`` and literals), NaN for NaT.

    Built arithmetically, column-wise: ``strftime`` value by value is slow at national scale.
    """
    missing = np.isnat(moments)
    moments = np.where(missing, np.datetime64("2000-01-01T00:00"), moments).astype("datetime64[m]")
    if utc:
        local = pd.DatetimeIndex(moments).tz_localize("Europe/London", ambiguous=False,
                                                      nonexistent="shift_forward")
        moments = local.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[m]")
    days = moments.astype("datetime64[D]")
    month_start = days.astype("datetime64[M]")
    minutes = (moments - days).astype(np.int64)
    parts = {"%d": ((days - month_start).astype(np.int64) + 1, 2),
             "%m": (month_start.astype(np.int64) % 12 + 1, 2),
             "%Y": (days.astype("datetime64[Y]").astype(np.int64) + 1970, 4),
             "%H": (minutes // 60, 2), "%M": (minutes % 60, 2), "%S": (np.zeros_like(minutes), 2)}
    parts["%y"] = (parts["%Y"][0] % 100, 2)
    out = np.full(len(moments), "", dtype=object)
    position = 0
    for match in _TOKEN.finditer(fmt):
        literal = fmt[position:match.start()]
        number, width = parts[match.group()]
        out = out + literal + _padded(number, width)
        position = match.end()
    out = out + fmt[position:]
    out[missing] = np.nan
    return out


def _padded(numbers: np.ndarray, width: int) -> np.ndarray:
    text = np.zeros((len(numbers), width), dtype=np.uint8)
    for place in range(width - 1, -1, -1):  # digit places, not rows
        numbers, digit = np.divmod(numbers, 10)
        text[:, place] = digit + ord("0")
    return text.view(f"S{width}").ravel().astype(f"U{width}").astype(object)


def _inject_defects(frame: pd.DataFrame, cases: pd.DataFrame, style: ExportStyle, moments: dict,
                    rng: np.random.Generator, share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = len(cases)
    kinds = style.defect_kinds
    k = max(1, int(round(share * n))) if n >= 12 else 0
    picks = rng.permutation(n)[: len(kinds) * k]
    groups = np.array_split(picks, len(kinds)) if k else [np.array([], dtype=int)] * len(kinds)
    ref = style.column_of("crime_ref")
    defects = [dict(kind=kind, crime_ref=frame.at[row, ref], rows=2 if kind == "conflicting_duplicate" else 1)
               for rows, kind in zip(groups, kinds) for row in rows]
    conflicting = frame.iloc[:0]
    for rows, kind in zip(groups, kinds):
        if not len(rows):
            continue
        if kind == "bad_date":  # 31 February of the recorded year, in the style's own format
            fmt = style.format_of("recorded_date")
            impossible = fmt.replace("%d", "31").replace("%m", "02")
            frame.loc[rows, style.column_of("recorded_date")] = _format_moments(
                moments["recorded_date"][rows], impossible, utc=style.utc and "recorded_date" in style.datetime_formats)
        elif kind == "unknown_offence_code":
            frame.loc[rows, style.column_of("offence_code")] = style.offence_code(pd.Series(["99Z"] * len(rows))).to_numpy()
        elif kind == "outcome_19":
            # A generator of its own: writing a code draws nothing from the export's stream.
            frame.loc[rows, style.column_of("outcome_code")] = _written(
                pd.Series(["19"] * len(rows), dtype=object), "outcome_code", style, None,
                np.random.default_rng(0))
            frame.loc[rows, style.column_of("outcome_date")] = _format_moments(
                moments["recorded_date"][rows], style.format_of("outcome_date"),
                utc=style.utc and "outcome_date" in style.datetime_formats)
        elif kind == "recorded_before_report":  # reported the day after it was recorded
            later = moments["recorded_date"][rows] + np.timedelta64(1, "D")
            frame.loc[rows, style.column_of("report_date")] = _format_moments(
                later, style.format_of("report_date"), utc=style.utc and "report_date" in style.datetime_formats)
        elif kind == "conflicting_duplicate":
            conflicting = frame.loc[rows].copy()
            age = style.column_of("victim_age")
            conflicting[age] = np.where(conflicting[age] == "30", "31", "30")
        elif kind == "placeholder_victim_id":  # "not known" where an id must be: missing, not shared
            frame.loc[rows, style.column_of("victim_id")] = style.missing.get("suspect_id", "N/K")
        elif kind == "unreadable_flag":
            frame.loc[rows, style.column_of("domestic_abuse")] = "2"
    exact = frame.loc[rng.choice(np.setdiff1d(np.arange(n), picks), size=min(k, max(n - len(kinds) * k, 0)),
                                 replace=False)] if k else frame.iloc[:0]
    defects += [dict(kind="duplicate_row", crime_ref=r, rows=1) for r in exact[ref]]
    frame = pd.concat([frame, conflicting, exact], ignore_index=True)
    order = rng.permutation(len(frame)) if k else np.arange(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    return frame, pd.DataFrame(defects, columns=["kind", "crime_ref", "rows"])


def to_rms_export(cases: pd.DataFrame, *, seed: int = 0, defect_share: float = 0.001) -> StyledExport:
    """Turn canonical cases into the ``rms-export`` style (see :func:`to_export`).

    Examples
    --------
    >>> from soteria_research.data.synthetic import generate_cases, to_rms_export
    >>> cases = generate_cases(forces=["durham"], start="2023-01-01", end="2023-03-31", seed=1)
    >>> export = to_rms_export(cases, seed=1)
    >>> "Date Recorded" in export.frame.columns
    True
    """
    return to_export(cases, RMS_EXPORT, seed=seed, defect_share=defect_share)


def write_export(cases: pd.DataFrame, path: str | Path, *, style: str = "rms-export", seed: int = 0,
                 mapping_path: str | Path | None = None) -> tuple[Path, Path, StyledExport]:
    """Write :func:`to_export` to CSV (or Parquet) and the style's mapping YAML beside it.

    The mapping goes to ``mapping_path`` or ``<path stem>_mapping.yaml``. Returns both paths
    and the export (with its list of injected defects).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from soteria_research.data.synthetic import generate_cases
    >>> cases = generate_cases(forces=["durham"], scale=0.01, seed=1)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> export, mapping, styled = write_export(cases, folder / "export.csv", style="rms-export")
    >>> mapping.name
    'export_mapping.yaml'
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise ParameterError(f"Cannot write {path}: use a .csv or .parquet file name.")
    export = to_export(cases, style, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        export.frame.to_csv(path, index=False, lineterminator="\n")
    else:
        export.frame.to_parquet(path, index=False)
    mapping_path = Path(mapping_path) if mapping_path else path.with_name(f"{path.stem}_mapping.yaml")
    mapping_path.write_text(export_mapping_yaml(style, cases), encoding="utf-8")
    return path, mapping_path, export


def write_rms_export(cases: pd.DataFrame, path: str | Path, *, seed: int = 0,
                     mapping_path: str | Path | None = None) -> tuple[Path, Path, StyledExport]:
    """Write the ``rms-export`` style and its mapping (see :func:`write_export`)."""
    return write_export(cases, path, style="rms-export", seed=seed, mapping_path=mapping_path)

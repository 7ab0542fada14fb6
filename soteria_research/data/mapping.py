"""Mappings from a force's own export to the canonical case record: load, check and apply.

A mapping (YAML or a dict) renames the export's columns to dictionary fields, recodes values,
and says how its dates and yes/no flags are written. :func:`load_mapping` checks it once;
:func:`apply_mapping` turns a raw export into canonical columns for validation; the
``*_for`` accessors tell the validator how to read each field.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import yaml

from ..errors import MappingError
from .dictionary import load_dictionary

__all__ = ["apply_mapping", "date_formats_for", "flag_words_for", "load_mapping"]


def load_mapping(mapping: str | os.PathLike | dict | None) -> dict:
    if mapping is None:
        return {}
    if isinstance(mapping, dict):
        spec = mapping
        where = "mapping"
    else:
        where = str(mapping)
        try:
            spec = yaml.safe_load(Path(mapping).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise MappingError(f"{mapping}: mapping file not found.") from None
        except yaml.YAMLError as error:
            raise MappingError(f"{mapping}: not valid YAML ({error}).") from None
    allowed = {"columns", "values", "date_format", "date_formats", "true_values", "false_values",
               "drop", "description", "name"}
    unknown = set(spec) - allowed
    if unknown:
        raise MappingError(
            f"{where}: unknown key(s) {sorted(unknown)}; a mapping may have {sorted(allowed)}."
        )
    return spec


def apply_mapping(raw: pd.DataFrame, spec: dict, source: str) -> pd.DataFrame:
    if not spec:
        return raw
    dictionary = load_dictionary()
    renames = spec.get("columns", {}) or {}
    bad_targets = [t for t in renames.values() if t not in dictionary.field_names]
    if bad_targets:
        raise MappingError(
            f"{source}: the mapping renames to {bad_targets}, which are not dictionary fields "
            f"(see data_dictionaries/README.md)."
        )
    frame = raw.drop(columns=[c for c in spec.get("drop", []) or [] if c in raw.columns])
    frame = frame.rename(columns={str(k): v for k, v in renames.items()})
    for column, recode in (spec.get("values", {}) or {}).items():
        if column in frame.columns:
            recode = {str(k): (None if v is None else str(v)) for k, v in recode.items()}
            as_text = frame[column].astype(str).str.strip()
            frame[column] = as_text.map(recode).where(as_text.isin(recode.keys()), frame[column])
    return frame


def date_formats_for(spec: dict, date_fields, *, default: str) -> dict[str, str]:
    """The ``strptime`` format of each canonical date field under ``spec``."""
    return {**{f: spec.get("date_format", default) for f in date_fields},
            **(spec.get("date_formats") or {})}


def flag_words_for(spec: dict, field: str) -> tuple[set[str], set[str]]:
    """Extra words (lower case) that mean true and false for boolean ``field`` under ``spec``."""
    true_words = {str(v).lower() for v in spec.get("true_values", []) or []}
    false_words = {str(v).lower() for v in spec.get("false_values", []) or []}
    return true_words, false_words

"""A check of finished outputs: counts under the threshold (and zeros) left visible.

This is a reader's-eye scanner of HTML and JSON files, where only headings are left to tell a
count from a rate, so it goes by names; protection itself never does (tables declare their
structure, see ``spec``).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .profiles import MARKER

__all__ = ["scan_for_disclosive_counts"]

_RATE_WORDS = re.compile(
    r"(rate|share|pct|percent|prop|estimate|ci_|_ci|lower|upper|mean|median|days|time|"
    r"ratio|^hr$|^or$|^se$|^p$|p_value|coef|cif|surv|prob|quantile|age|^max|^min|^p\d+$|"
    r"^sd$|std|iqr)", re.IGNORECASE)
_KEY_WORDS = re.compile(r"(year|month|week|quarter|period|cohort|wave|date|^within_|^time$|"
                        r"^days?$|horizon)", re.IGNORECASE)
_COUNT_KEY = re.compile(r"(^n$|^n_|_n$|count|cases|events|crimes|victims|suspects|number|"
                        r"total|^all$|at_risk|charged|withdrawn)", re.IGNORECASE)
# "set aside": rows of the input file set aside by the data checks count rows, not people
# (``ReportContext.data_checks``; run.json publishes them whole).
_NOT_COUNT = re.compile(r"(iteration|version|rank|order|step|seed|id$|code|threshold|base|"
                        r"dof|df_resid|index|unnamed|set aside)", re.IGNORECASE)


def scan_for_disclosive_counts(source, threshold: int = 10, *, zeros: bool = True
                               ) -> pd.DataFrame:
    """Find counts under ``threshold`` (and zeros) left visible in finished outputs.

    ``source`` is HTML text, JSON text, a parsed JSON object, a DataFrame, a path to an
    ``.html``/``.json`` file, or a list of any of these. In tables, a column is a count
    column when all its values are whole numbers and its name is not rate-, time- or key-like
    ("[c]" and blanks are skipped); in JSON, numbers under count-like keys (``n``, ``n_…``,
    ``cases``, ``events``…) are checked. Returns one row per finding:
    ``source, table, column, row, value`` (empty when the output is clean).

    Examples
    --------
    >>> scan_for_disclosive_counts('{"n_cases": 7, "charge_rate": 0.02}')["value"].tolist()
    [7]
    """
    findings: list[dict] = []
    _scan(source, threshold, zeros, "input", findings)
    return pd.DataFrame(findings, columns=["source", "table", "column", "row", "value"])


def _is_small(value: float, threshold: int, zeros: bool) -> bool:
    return (0 < value < threshold) or (zeros and value == 0)


def _scan(source, threshold, zeros, where, findings) -> None:
    if isinstance(source, Path) or (isinstance(source, str) and len(source) < 1000
                                    and "\n" not in source and source.endswith(
                                        (".html", ".json", ".htm"))):
        path = Path(source)
        _scan(path.read_text(encoding="utf-8"), threshold, zeros, str(path), findings)
    elif isinstance(source, pd.DataFrame):
        _scan_table(source, threshold, zeros, where, 0, findings)
    elif isinstance(source, str):
        text = source.strip()
        if text.startswith(("{", "[")):
            _scan_json(json.loads(text), threshold, zeros, where, "", findings)
        else:
            try:
                tables = pd.read_html(io.StringIO(text))
            except ValueError:  # no <table> in the page
                tables = []
            for number, table in enumerate(tables):
                _scan_table(table, threshold, zeros, where, number, findings)
    elif isinstance(source, dict):
        _scan_json(source, threshold, zeros, where, "", findings)
    elif isinstance(source, Iterable):
        for item in source:
            _scan(item, threshold, zeros, where, findings)


def _scan_table(table, threshold, zeros, where, number, findings) -> None:
    table = table.copy()
    table.columns = [" ".join(str(p) for p in c) if isinstance(c, tuple) else str(c)
                     for c in table.columns]
    for column in table.columns:
        if _RATE_WORDS.search(column) or _KEY_WORDS.search(column) or _NOT_COUNT.search(column):
            continue
        raw = table[column].astype(str).str.replace(",", "", regex=False).str.strip()
        raw = raw[~raw.isin([MARKER, "", "nan", "None", "<NA>", "NaN"])]
        values = pd.to_numeric(raw, errors="coerce")
        if raw.empty or values.isna().any():
            continue
        if not (values >= 0).all() or not (values == values.round()).all():
            continue
        for row, value in values.items():
            if _is_small(float(value), threshold, zeros):
                findings.append(dict(source=where, table=number, column=column, row=row,
                                     value=int(value)))


def _scan_json(node, threshold, zeros, where, path, findings) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            key = str(key)
            if isinstance(value, (dict, list)):
                _scan_json(value, threshold, zeros, where, f"{path}/{key}", findings)
            elif (isinstance(value, (int, float)) and not isinstance(value, bool)
                  and _COUNT_KEY.search(key) and not _NOT_COUNT.search(key)
                  and not _RATE_WORDS.search(key) and float(value) == round(float(value))
                  and _is_small(float(value), threshold, zeros)):
                findings.append(dict(source=where, table=path or "/", column=key, row=None,
                                     value=int(value)))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            _scan_json(item, threshold, zeros, where, f"{path}/{i}", findings)

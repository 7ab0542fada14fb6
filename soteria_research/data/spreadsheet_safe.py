"""CSV files that are safe to open in a spreadsheet: no cell is run as a formula.

A CSV the toolkit writes (a quarantine of rejected rows, a table of figures) is opened in Excel
by people who did not write it, and its text came from an extract anyone could have typed into.
A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by Excel,
LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). As
OWASP's "CSV Injection" page recommends, such text cells get a leading single quote, which the
spreadsheet shows as text and does not run; every text field is quoted. Numbers stay numbers:
only text cells are changed, so a negative number in a numeric column is left alone.

Every CSV the toolkit writes goes through :func:`write_csv`.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pandas as pd

#: The characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) cannot start a formula.

    Examples
    --------
    >>> table = pd.DataFrame({"crime_ref": ["=HYPERLINK(\\"http://x\\")", "CR-1", "-"], "n": [1, -2, 3]})
    >>> neutralise_formulas(table)["crime_ref"].tolist()
    ['\\'=HYPERLINK("http://x")', 'CR-1', "'-"]
    >>> neutralise_formulas(table)["n"].tolist()  # numbers are not text: left alone
    [1, -2, 3]
    """
    out = frame.copy()
    out.columns = [_neutral(c) if isinstance(c, str) else c for c in frame.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype != object and not isinstance(column.dtype, pd.StringDtype) \
                and not isinstance(column.dtype, pd.CategoricalDtype):
            continue
        values = column.astype(object).to_numpy()
        risky = np.fromiter((isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in values),
                            bool, len(values))
        if risky.any():
            values = values.copy()
            values[risky] = np.array(["'" + v for v in values[risky]], dtype=object)
            out.isetitem(position, pd.Series(values, index=out.index, dtype=object))
    return out


def _neutral(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(frame: pd.DataFrame, path: str | os.PathLike, **to_csv) -> Path:
    """Write ``frame`` as a UTF-8 CSV that is safe to open in a spreadsheet; returns the path.

    Text cells that would start a formula get a leading ``'``, and every text field is quoted.
    Extra keyword arguments go to :meth:`pandas.DataFrame.to_csv` (``index`` defaults to False).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_csv(pd.DataFrame({"id": ["@SUM(A1)", "V-1"]}), folder / "out.csv")
    >>> path.read_text().splitlines()
    ['"id"', '"\\'@SUM(A1)"', '"V-1"']
    """
    path = Path(path)
    options = {"index": False, "quoting": csv.QUOTE_NONNUMERIC, "encoding": "utf-8", **to_csv}
    neutralise_formulas(frame).to_csv(path, **options)
    return path

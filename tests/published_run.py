"""An outsider holding every published file of a report run: read them, and work out what the
hidden cells must be.

The reader takes the run folder as a stranger would: every ``*.html`` (tables as printed),
``*.json`` and ``*.csv`` file. :class:`Knowledge` turns what is printed into a linear/integer
program over the underlying counts (one variable per quantity, wherever it is printed):

* a printed count ``v`` is the interval a rounding to ``base`` leaves (``v - 2 .. v + 2`` for
  base 5) or exactly ``v`` when counts are not rounded; a hidden count only says it is >= 0;
* a printed share ``p`` (to ``d`` decimals) of a denominator ``n`` bounds the numerator,
  ``(p - h) n <= k <= (p + h) n`` with ``h`` half a unit of the last decimal; under a rounding
  profile ``k`` and ``n`` are the counts' published (rounded) values, printed or not, each
  within its rounding of the true count (shares are computed from the published counts);
* categories of a complete code list add up to their total; stages are nested;
* the same quantity printed in two tables (a force's recorded crimes in its headline, funnel,
  outcome mix, data quality, caseload, the index, the national overview...) is one variable;
* national figures are the sum of the forces' of the file: those with a report in the run and
  those the national overview's outcome mix by force lists without one (a run of some forces).

:meth:`Knowledge.attack` then bounds each hidden quantity by MILP (scipy's HiGHS), the same
method as ``soteria_research/reporting/disclosure/attacker.py`` but built from the printed files
rather than from the protection's own view, so it tests what is actually published. This is
written here rather than reusing that module because that module reads a ``RunProtection``'s
``published_view()``, which the legacy report path does not produce.
"""

from __future__ import annotations

import csv
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from bs4 import BeautifulSoup
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse.csgraph import connected_components

HIDDEN = "[c]"
#: The attacker's own variables (a count's published value, and that value over the base):
#: never targets, a published value is not a count of anyone.
AUXILIARY = ("published|", "multiple|", "weighted|")

OUTCOMES = (
    "Charged or summonsed",
    "Victim does not support action (or withdrew support)",
    "Evidential difficulties (victim supports action)",
    "No suspect identified",
    "Out-of-court disposal",
    "Prosecution prevented or not in the public interest",
    "Transferred to another body (censored)",
    "Open at the extract date (censored)",
)
OPEN = OUTCOMES[-1]
#: The offence groups of the timeliness and decisions tables.
OFFENCES = ("All sexual offences", "Rape", "Other sexual offences")
#: The two groups of the earlier-allegations table.
ALLEGATIONS = ("Earlier allegation (suspect accused again)",
               "Other allegation with a named suspect")
#: Outcomes the trend table counts within a year, as the time-to-outcome curves name them.
TREND_OUTCOMES = OUTCOMES[:3]
STAGES = (
    "Crime recorded",
    "Suspect identified",
    "Suspect arrested or interviewed",
    "File referred to the prosecution service",
    "Charged or summonsed",
    "Convicted",
)
HEADLINES = ("charged_within", "withdrawn_within", "evidential_within")
#: Timeliness measures whose cases or whose cases reaching the milestone are a funnel stage
#: (the same quantity under another name).
TIMELINESS_IS_FUNNEL = {
    "Report to charge": {"cases": STAGES[0], "reached": "Charged or summonsed"},
    "Report to any outcome": {"cases": STAGES[0]},
    "Referral to the CPS to its decision": {"cases": "File referred to the prosecution service"},
    "Suspect identified to arrest": {"cases": "Suspect identified"},
    # the suspects interviewed are the suspects arrested or interviewed wherever every suspect
    # arrested was interviewed, as in the synthetic world: a reader of it takes them as one
    "Suspect identified to interview": {"cases": "Suspect identified",
                                        "reached": "Suspect arrested or interviewed"},
}
#: The offence split's column prefixes (wide tables) and the attacker's names of its groups;
#: the all-offences group keeps the plain names.
SPLIT = {"All sexual offences": "", "Rape": "rape|", "Other sexual offences": "other|"}


# --------------------------------------------------------------------------------------------
# Reading the files
# --------------------------------------------------------------------------------------------
@dataclass
class Table:
    file: str
    owner: str  # force code, "national" or "index"
    heading: str
    caption: str
    header: list[str]
    rows: list[list[str]]

    def column(self, name: str) -> int | None:
        return self.header.index(name) if name in self.header else None


@dataclass
class Published:
    root: Path
    tables: list[Table] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # visible text of every html file
    json: dict[str, object] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # display name -> force code

    @property
    def forces(self) -> list[str]:
        return sorted(set(self.names.values()))


def _owner(path: Path, root: Path) -> str:
    parts = path.relative_to(root).parts
    if parts[0] == "forces":
        return parts[1]
    if parts[0] == "national":
        return "national"
    return path.stem


def read_run(root: Path) -> Published:
    """Every table, text and JSON document of a published run folder."""
    out = Published(root)
    for path in sorted(root.rglob("*.json")):
        out.json[str(path.relative_to(root))] = json.loads(path.read_text(encoding="utf-8"))
    for rel, doc in out.json.items():
        if rel.endswith("metrics.json") and doc.get("force") not in (None, "national"):
            out.names[doc["name"]] = doc["force"]
    for path in sorted(root.rglob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")
        for tag in soup(["style", "script"]):
            tag.decompose()
        rel = str(path.relative_to(root))
        out.texts[rel] = soup.get_text(" ", strip=True)
        for table in soup.find_all("table"):
            heading = table.find_previous(["h1", "h2", "h3"])
            caption = table.find("caption")
            rows = [[c.get_text(" ", strip=True) for c in tr.find_all(["th", "td"])]
                    for tr in table.find_all("tr")]
            rows = [r for r in rows if any(r)]
            if not rows:
                continue
            # pandas Styler puts an empty index-name cell first: drop a column empty everywhere
            width = max(len(r) for r in rows)
            rows = [r + [""] * (width - len(r)) for r in rows]
            keep = [j for j in range(width) if any(r[j] for r in rows)]
            rows = [[r[j] for j in keep] for r in rows]
            out.tables.append(Table(
                rel, _owner(path, root),
                heading.get_text(" ", strip=True).rstrip("¶ ") if heading else "",
                caption.get_text(" ", strip=True) if caption else "", rows[0], rows[1:]))
    for path in sorted(root.rglob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [r for r in csv.reader(handle) if r]
        if rows:
            out.tables.append(Table(str(path.relative_to(root)), _owner(path, root), path.stem,
                                    "", rows[0], rows[1:]))
    return out


_PCT = re.compile(r"^(-?[\d.]+)%(?:\s*\((-?[\d.]+)% to (-?[\d.]+)%\))?$")


def number(text: str):
    """``(value, decimals, is_percent)`` of a printed number, or None (hidden, blank, text)."""
    text = str(text).strip().replace(",", "")
    m = _PCT.match(text)
    if m:
        value = m.group(1)
        return float(value), len(value.split(".")[1]) if "." in value else 0, True
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text), len(text.split(".")[1]) if "." in text else 0, False
    return None


def _censored_step(know: Knowledge, step: str, cohort: str, followed: str | None,
                   text: str) -> None:
    """A printed step ``F`` of a cumulative incidence curve under exact counts, with ``D``
    events by then among ``n`` cases of which ``C`` were censored by then. Each case starts
    with weight ``1 / n``; a censored case's weight passes to the cases still at risk, so an
    event weighs at least ``1 / n`` and the events of one outcome gain at most the ``C / n``
    the censored cases held: ``D / n <= F <= (D + C) / n``. Hence ``D <= F n`` and
    ``D >= F n - C``, where ``C <= n - followed`` (``followed``: cases never censored by
    then). Not ``F <= D / (n - C)``: a case censored when few are at risk passes its weight to
    those few (a national curve printed 14.1% for 32 events of 229 cases, one censored, above
    32 / 228 = 14.0%)."""
    parsed = number(text)
    if parsed is None:
        return
    value, decimals, percent = parsed
    scale = 100.0 if percent else 1.0
    half = 0.5 * 10.0 ** (-decimals)
    high, low = (value + half) / scale, max(0.0, (value - half) / scale)
    know.constrain({step: 1.0, cohort: -high}, -np.inf, 1e-9)
    if followed is not None and low > 0:
        # D - low n + (n - followed) >= 0
        know.constrain({step: 1.0, cohort: 1.0 - low, followed: -1.0}, -1e-9, np.inf)


def _curve_cohort(know: Knowledge, owner: str, year: str | None,
                  recorded: str) -> tuple[str, str | None]:
    """The cohort a report's time-to-outcome curve follows, as quantities: the trend table's
    year (``year``, named in the report's text) with the cases transferred within the year,
    which the trend leaves out and the curve keeps (censored at their transfer)."""
    cohort = f"{owner}|curve|cohort"
    trend = f"{owner}|trend|{year}" if year else None
    if trend:
        know.at_most(trend, cohort)
    know.at_most(cohort, recorded)
    return cohort, trend


def _curve_steps(know: Knowledge, owner: str, outcome: str, printed: list[tuple[int, str]],
                 cohort: str, trend: str | None) -> None:
    """One outcome's printed steps ``[(day, text), ...]`` (days ascending) of a report's
    time-to-outcome curve, each the events by that day as a quantity of its own.

    A step is the Aalen-Johansen estimate: censoring only passes weight on, so events by day
    d are at most the step times the cohort and at least that less the cases censored by
    then, no more than the transfers within the year up to day 365 (only transfers are
    censored before it: a year followed has 365 days of follow-up) (:func:`_censored_step`).
    Under a rounding profile the step printed is the ratio of published counts
    (docs/methods.md section 8): the step times the cohort (``weighted|``: events with the
    weight the censored passed on), rounded, over the cohort rounded; the same bounds tie
    that to the events. (Taken for the events themselves, a national curve's 14.5% of a
    published 1,310 by day 365, 190 "events", contradicted the trends' 185 of the year:
    187 events, with 1.6 more of the weight of 12 transfers.) Steps never fall; by day 365 a
    trend outcome's events are the trend year's count of it (a transfer is none of these
    outcomes); the events between two printed days are a count too, which a step must rest
    on enough of (a step of 5 withdrawals between days 180 and 365 was printed once, the
    day-365 value being the trends' count)."""
    steps = [f"{owner}|curve|{outcome}|{day}" for day, _ in printed]
    for (day, text), step in zip(printed, steps):
        followed = trend if day <= 365 else None
        if know.base is not None:
            weighted = f"weighted|{step}"
            know.share(weighted, cohort, text)
            know.at_most(step, weighted)
            know.at_most(weighted, cohort)
            if followed is not None:  # weighted - events <= censored <= cohort - followed
                know.constrain({weighted: 1.0, step: -1.0, cohort: -1.0, followed: 1.0},
                               -np.inf, 0.0)
        else:
            _censored_step(know, step, cohort, followed, text)
        know.at_most(step, cohort)
        if trend and day == 365 and outcome in TREND_OUTCOMES:
            know.total([step], f"{trend}|{outcome}")
    for (first, _), (last, _), earlier, later in zip(printed, printed[1:], steps, steps[1:]):
        know.at_most(earlier, later)
        between = f"{owner}|curve|{outcome}|{first}-{last}"
        know.constrain({between: 1.0, later: -1.0, earlier: 1.0}, 0.0, 0.0)


# --------------------------------------------------------------------------------------------
# The attacker's program
# --------------------------------------------------------------------------------------------
class Knowledge:
    """What the printed files say about the underlying counts, as linear constraints."""

    def __init__(self, round_base: int | None):
        self.base = round_base
        self.index: dict[str, int] = {}
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []
        self.hidden: dict[str, list[str]] = {}  # quantity -> where it is shown as [c]
        self.shown: dict[str, list[str]] = {}  # quantity -> where a count is printed
        self.zeros: set[str] = set()  # structural zeros: known to be 0 by definition
        self.values: dict[str, float] = {}  # quantity -> the count printed for it
        self.shares: list[tuple] = []

    def var(self, name: str) -> int:
        if name not in self.index:
            self.index[name] = len(self.lower)
            self.lower.append(0.0)
            self.upper.append(np.inf)
        return self.index[name]

    def _expr(self, expr) -> dict[int, float]:
        if isinstance(expr, str):
            return {self.var(expr): 1.0}
        out: dict[int, float] = {}
        for name, coef in expr.items():
            j = self.var(name)
            out[j] = out.get(j, 0.0) + coef
        return out

    def constrain(self, expr, low: float, high: float) -> None:
        self.rows.append((self._expr(expr), low, high))

    def published(self, name: str) -> str:
        """The published (rounded to the base) value of a count, printed or not: a multiple of
        the base within the rounding of the true count (``name``)."""
        published, multiple = f"published|{name}", f"multiple|{name}"
        if published not in self.index:
            self.var(published)
            self.var(multiple)
            self.constrain({published: 1.0, multiple: -float(self.base)}, 0.0, 0.0)
            # round half up: true - base/2 <= published < true + base/2 (integers)
            self.constrain({name: 1.0, published: -1.0},
                           -math.floor(self.base / 2), math.ceil(self.base / 2) - 1)
        return published

    def structural(self, name: str) -> None:
        """A quantity that is 0 by definition (any reader knows it)."""
        self.constrain(name, 0.0, 0.0)
        self.zeros.add(name)

    def count(self, name: str, text: str, where: str) -> None:
        """A printed count cell: [c], an integer (rounded to the base, or exact)."""
        j = self.var(name)
        text = str(text).strip()
        if text == HIDDEN:
            self.hidden.setdefault(name, []).append(where)
            return
        parsed = number(text)
        if parsed is None or parsed[2]:
            return
        value = parsed[0]
        self.shown.setdefault(name, []).append(where)
        self.values[name] = value
        if self.base and value > 0:
            low, high = math.ceil(value - self.base / 2), math.ceil(value + self.base / 2) - 1
        else:
            low = high = value
        self.lower[j] = max(self.lower[j], low)
        self.upper[j] = min(self.upper[j], high)

    def share(self, numerator, denominator, text: str, *, scale: float | None = None) -> None:
        """A printed share (percent, or a proportion when ``scale`` is 1) of a denominator.

        Kept aside until :meth:`attack`: a share that is exactly the ratio of the *printed*
        counts says nothing more and is dropped then. Under a rounding profile any other share
        is the ratio of the counts' published (rounded) values, printed or not
        (:meth:`published`); a share computed from the true counts would then make the
        program infeasible, and :meth:`attack` fails. Without rounding, it bounds the counts.
        """
        self.shares.append((numerator, denominator, text, scale))

    def _share(self, numerator, denominator, text: str, scale: float | None) -> None:
        parsed = number(text)
        if parsed is None:
            return
        value, decimals, percent = parsed
        scale = scale or (100.0 if percent else 1.0)
        numerator, denominator = (next(iter(e)) if isinstance(e, dict) and len(e) == 1
                                  and next(iter(e.values())) == 1.0 else e
                                  for e in (numerator, denominator))
        if isinstance(numerator, str) and isinstance(denominator, str):
            k, n = self.values.get(numerator), self.values.get(denominator)
            if k is not None and n and round(k / n * scale, decimals) == value:
                return  # from the printed counts: nothing new
        num, den = ({e: 1.0} if isinstance(e, str) else dict(e)
                    for e in (numerator, denominator))
        if self.base:
            # under a rounding profile shares are computed from the published (rounded)
            # counts, printed or not (docs/methods.md section 8), sums of them for pooled
            # groups (the most similar forces together, England and Wales without a force):
            # the share bounds those published values, each within its rounding of the truth
            num, den = ({self.published(name): c for name, c in e.items()} for e in (num, den))
        half = 0.5 * 10.0 ** (-decimals)
        for bound, sign in (((value - half) / scale, 1.0), ((value + half) / scale, -1.0)):
            # sign * (num - bound * den) >= 0
            row = {name: sign * c for name, c in num.items()}
            for name, c in den.items():
                row[name] = row.get(name, 0.0) - sign * bound * c
            self.constrain(row, -1e-9, np.inf)

    def extreme_interval(self, numerator: str, denominator: str, share: str, low: str,
                         high: str, z: float = 1.959963984540054) -> None:
        """A printed Wilson interval of a share of 0 (or 1) gives its denominator: such a
        share has no design effect (the variance is 0), so the upper bound of 0 of ``n`` is
        ``z² / (n + z²)`` and the lower bound of ``n`` of ``n`` is ``n / (n + z²)``."""
        parsed = [number(t) for t in (share, low, high)]
        if any(p is None for p in parsed):
            return
        (p, _, percent), (lo, dl, _), (hi, dh, _) = parsed
        scale = 100.0 if percent else 1.0
        if p == 0 and 0 < hi < scale:
            bound, decimals, at_zero = hi / scale, dh, True
        elif p == scale and 0 < lo < scale:
            bound, decimals, at_zero = lo / scale, dl, False
        else:
            return
        half = 0.5 * 10.0 ** (-decimals) / scale
        ends = [b for b in (bound - half, bound + half) if 0 < b < 1]
        if len(ends) < 2:
            return
        sizes = sorted(z * z * (1 - b) / b if at_zero else z * z * b / (1 - b) for b in ends)
        self.constrain(denominator, math.ceil(sizes[0] - 1e-9), math.floor(sizes[1] + 1e-9))
        if at_zero:
            self.constrain(numerator, 0.0, 0.0)

    def total(self, parts, whole) -> None:
        expr = {p: 1.0 for p in parts}
        expr[whole] = expr.get(whole, 0.0) - 1.0
        self.constrain(expr, 0.0, 0.0)

    def at_most(self, smaller, larger) -> None:
        """``smaller <= larger``; ``smaller`` may be a sum ({name: 1.0, ...})."""
        expr = dict(smaller) if isinstance(smaller, dict) else {smaller: 1.0}
        expr[larger] = expr.get(larger, 0.0) - 1.0
        self.constrain(expr, -np.inf, 0.0)

    # ----------------------------------------------------------------------------------------
    def matrix(self) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
        """The constraints as a sparse matrix, with each row's lower and upper bound."""
        data, rr, cc, lo, hi = [], [], [], [], []
        for k, (row, low, high) in enumerate(self.rows):
            for j, c in row.items():
                rr.append(k)
                cc.append(j)
                data.append(c)
            lo.append(low)
            hi.append(high)
        a = sparse.csr_matrix((data, (rr, cc)), shape=(len(self.rows), len(self.lower)))
        return a, np.array(lo), np.array(hi)

    def attack(self, targets=None, node_limit: int = 100_000
               ) -> dict[str, tuple[float, float]]:
        """``{quantity: (lowest, highest)}`` integer values consistent with everything printed,
        for each quantity never printed as a count (hidden, or only implied), or ``targets``.

        Each integer programme may take ``node_limit`` branch-and-bound nodes, a count rather
        than seconds so the attack is the same on every machine; one that stops at its limit
        fails the test (a weaker attack would pass it silently)."""
        for share in self.shares:
            self._share(*share)
        self.shares = []
        n = len(self.lower)
        names = {j: name for name, j in self.index.items()}
        a, lo, hi = self.matrix()
        lower, upper = np.array(self.lower), np.array(self.upper)
        if targets is None:
            targets = [name for name in self.index if name not in self.shown
                       and name not in self.zeros
                       and not name.startswith(AUXILIARY)]
        # Solve each linked part separately (fixed variables do not link).
        free = lower < upper
        link = a[:, free]
        graph = sparse.bmat([[None, link], [link.T, None]]).tocsr()
        _, labels = connected_components(graph, directed=False)
        part = np.full(n, -1)
        part[np.flatnonzero(free)] = labels[a.shape[0]:]
        found = {}
        lo, hi = np.array(lo), np.array(hi)
        for name in targets:
            j = self.index[name]
            if not free[j]:
                found[name] = (lower[j], upper[j])
                continue
            cols = np.flatnonzero(part == part[j])
            inside = np.zeros(n, dtype=bool)
            inside[cols] = True
            touched = np.flatnonzero(np.diff(a[:, cols].tocsc().tocsr().indptr))
            sub = a[touched]
            fixed = sub[:, ~inside] @ np.where(inside, 0.0, lower)[~inside]
            block = sub[:, cols]
            ends = []
            for sign in (1.0, -1.0):
                c = np.zeros(len(cols))
                c[np.searchsorted(cols, j)] = sign
                constraints = [LinearConstraint(block, lo[touched] - fixed, hi[touched] - fixed)]
                res = milp(c, integrality=np.ones(len(cols)),
                           bounds=Bounds(lower[cols], upper[cols]), constraints=constraints,
                           options={"node_limit": node_limit})
                if res.status == 0:
                    ends.append(sign * res.fun)
                    continue
                if res.status == 1 or (getattr(res, "mip_node_count", 0) or 0) >= node_limit:
                    raise AssertionError(f"the attacker's programme for {names[j]} stopped "
                                         f"at its limit ({res.message}): it cannot say "
                                         "whether the quantity is protected")
                # HiGHS may say "infeasible" (or "infeasible or unbounded") when it is unbounded
                res = milp(np.zeros(len(cols)), integrality=np.ones(len(cols)),
                           bounds=Bounds(lower[cols], upper[cols]), constraints=constraints,
                           options={"node_limit": node_limit})
                if res.status == 2:  # infeasible: the reader's model is wrong
                    raise AssertionError(f"the published figures contradict each other "
                                         f"(around {names[j]})")
                ends.append(sign * -np.inf)
            found[name] = (ends[0], ends[1])
        return found


#: Counts of the input file's rows (accepted, set aside), whose zeros every report prints by
#: policy: a zero set aside says nothing about anyone (``runner.record.published_file_count``).
#: A zero that follows from printed zeros alone (no row set aside, so none of an unknown force)
#: is the same fact.
FILE_ROWS = ("|quarantined", "|accepted", "|rows")


def disclosed(found: dict[str, tuple[float, float]], *, zeros: bool, threshold: int = 10
              ) -> dict[str, int]:
    """Quantities pinned to one value from 1 to ``threshold - 1`` (or 0 when ``zeros``, except
    the file's row counts: :data:`FILE_ROWS`)."""
    out = {}
    for name, (low, high) in found.items():
        if np.isfinite(high) and math.floor(high + 1e-6) <= math.ceil(low - 1e-6):
            value = int(round(low))
            if 0 < value < threshold or (zeros and value == 0 and not name.endswith(FILE_ROWS)):
                out[name] = value
    return out


# --------------------------------------------------------------------------------------------
# From the printed tables to the program
# --------------------------------------------------------------------------------------------
def build(run: Published, round_base: int | None) -> Knowledge:
    """The attacker's program over every table this module knows how to read."""
    know = Knowledge(round_base)
    trends: dict[str, dict[str, set[str]]] = {}  # owner -> year -> outcome labels printed
    victims: dict[str, dict[str, set[str]]] = {}  # owner -> characteristic -> categories
    timeliness: dict[str, set[str]] = {}  # owner -> measures printed
    decisions: dict[str, set[str]] = {}  # owner -> positions of the file printed
    arrests: dict[str, set[str]] = {}  # owner -> days printed
    programme: dict[str, list[str]] = {}  # owner -> the programme table's cohorts
    closed: list[tuple[str, str, str]] = []  # (owner, group prefix, cases that reached an outcome)
    victim_outcomes = [h[2:] for t in run.tables for h in [t.header]
                       if h[1:2] == ["Cases followed for a year"]][:1]
    code = dict(run.names)
    code.update({f: f for f in run.forces})
    code["England and Wales"] = "national"
    # a run of some forces: the national figures still add up every force of the file, and the
    # national overview names them all (its outcome mix by force); one without a report here
    # is a force of its own, named as printed
    for t in run.tables:
        if t.owner == "national" and t.header[:2] == ["Force", "Crimes recorded"]:
            code.update({row[0]: row[0] for row in t.rows if row[0] not in code})
    forces = sorted(set(code.values()) - {"national"})

    def rec(f):
        return f"{f}|recorded"

    # the financial year each report's time-to-outcome curves follow, named in its text
    cohorts = {_owner(run.root / rel, run.root): m.group(1) for rel, text in run.texts.items()
               for m in [re.search(r"Cases recorded in (\d{4}/\d{2}), followed", text)] if m}

    # national = sum of forces, for every additive quantity (every force of the file)
    know.total([rec(f) for f in forces], rec("national"))
    for o in OUTCOMES:
        know.total([f"{f}|outcome|{o}" for f in forces], f"national|outcome|{o}")
    for s in STAGES:
        know.total([f"{f}|stage|{s}" for f in forces], f"national|stage|{s}")
    for m in HEADLINES:
        know.total([f"{f}|{m}" for f in forces], f"national|{m}")
    know.total([f"{f}|followed" for f in forces], "national|followed")
    for f in [*forces, "national"]:
        know.total([f"{f}|outcome|{o}" for o in OUTCOMES], rec(f))
        know.total([f"{f}|stage|{STAGES[0]}"], rec(f))
        for a, b in zip(STAGES[1:], STAGES[:-1]):
            know.at_most(f"{f}|stage|{a}", f"{f}|stage|{b}")
        know.at_most(f"{f}|followed", rec(f))
        for m, o in zip(HEADLINES, OUTCOMES):
            know.at_most(f"{f}|{m}", f"{f}|followed")
            know.at_most(f"{f}|{m}", f"{f}|outcome|{o}")
        # a case charged (its outcome) has reached the funnel's charge stage, which also
        # counts a charge date under another outcome: none in the synthetic world (nor in a
        # clean extract), so the reader takes the two as one number, the stronger assumption
        for g in (f, f"{f}|rape", f"{f}|other"):
            know.total([f"{g}|outcome|{OUTCOMES[0]}"], f"{g}|stage|{STAGES[4]}")
        know.total([f"{f}|charged_within", f"{f}|withdrawn_within", f"{f}|evidential_within",
                    f"{f}|other_within"], f"{f}|followed")
    # the offence split: rape and other sexual offences add up to all, per force and
    # nationally, for every stage, outcome and headline count; each group's own outcomes add
    # up to its crimes recorded, its stages are nested
    for f in [*forces, "national"]:
        for what in ("recorded", "followed", *HEADLINES, *(f"stage|{s}" for s in STAGES),
                     *(f"outcome|{o}" for o in OUTCOMES)):
            know.total([f"{f}|rape|{what}", f"{f}|other|{what}"], f"{f}|{what}")
        for group in ("rape", "other"):
            g = f"{f}|{group}"
            know.total([f"{g}|outcome|{o}" for o in OUTCOMES], f"{g}|recorded")
            know.total([f"{g}|stage|{STAGES[0]}"], f"{g}|recorded")
            for a, b in zip(STAGES[1:], STAGES[:-1]):
                know.at_most(f"{g}|stage|{a}", f"{g}|stage|{b}")
            for m in HEADLINES:
                know.at_most(f"{g}|{m}", f"{g}|followed")
            know.at_most(f"{g}|followed", f"{g}|recorded")
    for group in ("rape", "other"):
        for what in ("recorded", "followed", *HEADLINES, *(f"stage|{s}" for s in STAGES),
                     *(f"outcome|{o}" for o in OUTCOMES)):
            know.total([f"{f}|{group}|{what}" for f in forces], f"national|{group}|{what}")
    # a report's period is the whole file unless the run names one (run.json's parameters):
    # then every accepted row of a force is one of its crimes recorded
    parameters = run.json.get("run.json", {}).get("parameters") or {}
    whole_file = not parameters.get("period_start") and not parameters.get("period_end")
    # in a run of a period, a force of the file may have no case in it, so no figure in the
    # run: its accepted rows are counted only in the file's
    know.total([f"{f}|accepted" for f in forces] + ([] if whole_file else ["elsewhere|accepted"]),
               "all|accepted")
    know.total([f"{f}|quarantined" for f in forces] + ["unknown|quarantined"],
               "all|quarantined")
    know.total(["all|accepted", "all|quarantined"], "all|rows")
    for f in forces:
        if whole_file:
            know.total([rec(f)], f"{f}|accepted")
        else:
            know.at_most(rec(f), f"{f}|accepted")

    # metrics.json of every force and the nation
    for rel, doc in run.json.items():
        if not rel.endswith("metrics.json"):
            continue
        f = doc["force"]
        figures = doc["figures"]
        know.count(rec(f), str(figures["recorded"]["value"]), rel)
        for m in (*HEADLINES, "still_open"):
            figure = figures.get(m)
            if not figure:
                continue
            num = f"{f}|outcome|{OPEN}" if m == "still_open" else f"{f}|{m}"
            den = rec(f) if m == "still_open" else f"{f}|followed"
            know.count(num, str(figure["count"]), rel)
            know.count(den, str(figure["n"]), rel)
            if isinstance(figure["value"], (int, float)):
                know.share(num, den, str(figure["value"]))  # as many decimals as printed
    # run.json: the validation summary
    record = run.json.get("run.json", {})
    validation = record.get("validation") or {}
    for key, name in (("n_input", "all|rows"), ("n_valid", "all|accepted"),
                      ("n_quarantined", "all|quarantined")):
        if key in validation:
            know.count(name, str(validation[key]), "run.json")
    for f, v in (validation.get("valid_by_force") or {}).items():
        know.count(f"{f}|accepted", str(v), "run.json")
    for f, v in (validation.get("quarantined_by_force") or {}).items():
        know.count(f"{f}|quarantined", str(v), "run.json")

    for t in run.tables:
        where = f"{t.file}: {t.heading}"
        owner = t.owner
        h = t.header
        if t.owner == "index" and "Crimes recorded" in h:
            for row in t.rows:
                f = code.get(row[0])
                if f is None:
                    continue
                know.count(rec(f), row[h.index("Crimes recorded")], where)
                if "Charged within a year" in h:
                    know.share(f"{f}|charged_within", f"{f}|followed",
                               row[h.index("Charged within a year")])
                if "Victim withdrew within a year" in h:
                    know.share(f"{f}|withdrawn_within", f"{f}|followed",
                               row[h.index("Victim withdrew within a year")])
                if "Still open" in h:
                    know.share(f"{f}|outcome|{OPEN}", rec(f), row[h.index("Still open")])
        elif h[:1] == ["Measure"] and set(SPLIT) <= set(h[1:]):
            # the headline for each offence group
            f = owner
            for row in t.rows:
                for label, prefix in SPLIT.items():
                    cell = row[h.index(label)]
                    if row[0] == "Crimes recorded":
                        know.count(f"{f}|{prefix}recorded", cell, where)
                        continue
                    m = _measure(row[0])
                    if m is None:
                        continue
                    num = (f"{f}|{prefix}outcome|{OPEN}" if m == "still_open"
                           else f"{f}|{prefix}{m}")
                    den = (f"{f}|{prefix}recorded" if m == "still_open"
                           else f"{f}|{prefix}followed")
                    know.share(num, den, cell.split(" (")[0])
        elif h[:1] == ["Measure"] and t.rows and t.rows[0][0] == "Crimes recorded":
            # headline: columns are this force, its peers together, the nation
            peers = _peers(run, owner, code)
            for j, col in enumerate(h[1:], start=1):
                if col.startswith("Most similar"):
                    if peers is None:
                        continue
                    group = list(peers)
                else:
                    f = code.get(col)
                    if f is None:
                        continue
                    group = [f]
                for row in t.rows:
                    label = row[0]
                    if label == "Crimes recorded":
                        if len(group) == 1:
                            know.count(rec(group[0]), row[j], where)
                        else:
                            name = "+".join(group) + "|recorded"
                            know.total([rec(g) for g in group], name)
                            know.count(name, row[j], where)
                        continue
                    m = _measure(label)
                    if m is None:
                        continue
                    num = {f"{g}|outcome|{OPEN}" if m == "still_open" else f"{g}|{m}": 1.0
                           for g in group}
                    den = {rec(g) if m == "still_open" else f"{g}|followed": 1.0 for g in group}
                    know.share(num, den, row[j].split(" (")[0])
        elif h[:2] == ["Measure", "Compared with"]:
            f = owner
            for row in t.rows:
                m = _measure(row[0])
                if m is None or m == "still_open":
                    continue
                know.share(f"{f}|{m}", f"{f}|followed", row[h.index("This force")])
                if row[1].startswith("England and Wales without"):
                    know.share({f"national|{m}": 1.0, f"{f}|{m}": -1.0},
                               {"national|followed": 1.0, f"{f}|followed": -1.0},
                               row[h.index("Them")])
        elif h[:1] == ["Most similar force"]:
            for row in t.rows:
                f = code.get(row[0])
                if f is None:
                    continue
                for col, what in (("Rape share", "rape"),
                                  ("Partner or ex-partner share", "partner")):
                    if col in h:
                        know.at_most(f"{f}|{what}", rec(f))
                        know.share(f"{f}|{what}", rec(f), row[h.index(col)])
        elif h[:2] == ["Stage", "Cases so far"]:
            f = owner
            for row in t.rows:
                if row[0] not in STAGES:
                    continue
                name = f"{f}|stage|{row[0]}"
                know.count(name, row[1], where)
                if "Share of recorded" in h:
                    know.share(name, rec(f), row[h.index("Share of recorded")])
                k = STAGES.index(row[0])
                col = next((c for c in h if c.startswith("Share of the previous")), None)
                if k and col:
                    know.share(name, f"{f}|stage|{STAGES[k - 1]}", row[h.index(col)])
        elif h[:1] == ["Outcome"] and "Cases" in h and "Share" in h and len(h) <= 4:
            f = owner
            for row in t.rows:
                if row[0] in OUTCOMES:
                    name = f"{f}|outcome|{row[0]}"
                    know.count(name, row[h.index("Cases")], where)
                    know.share(name, rec(f), row[h.index("Share")])
        elif h[:2] == ["Force", "Outcome"] and "Out of" in h:
            for row in t.rows:
                f = code.get(row[0])
                if f is None or row[1] not in OUTCOMES:
                    continue
                name = f"{f}|outcome|{row[1]}"
                know.count(name, row[h.index("Cases")], where)
                know.count(rec(f), row[h.index("Out of")], where)
                know.share(name, rec(f), row[h.index("Share")])
        elif h[:1] == ["Force"] and "Crimes recorded" in h:
            # a force report's most similar forces: each one's crimes recorded and its shares
            # charged and withdrawn within a year (of its cases followed for a year)
            for row in t.rows:
                f = code.get(row[0].removesuffix(" (this force)"))
                if f is None:
                    continue
                know.count(rec(f), row[h.index("Crimes recorded")], where)
                for column, m in (("Charged within", "charged_within"),
                                  ("Victim withdrew within", "withdrawn_within")):
                    j = next((k for k, c in enumerate(h) if c.startswith(column)), None)
                    if j is not None:
                        know.share(f"{f}|{m}", f"{f}|followed", row[j].split(" (")[0])
        elif h[:2] == ["Cohorts recorded", "Cases"]:
            # the programme's before and after: cases followed a year and those charged, of
            # the cohorts recorded before and after the force joined
            f = owner
            periods = []
            for row in t.rows:
                name = f"{f}|programme|{row[0]}"
                periods.append(name)
                know.count(f"{name}|cases", row[1], where)
                know.count(f"{name}|charged", row[2], where)
                know.at_most(f"{name}|charged", f"{name}|cases")
                know.share(f"{name}|charged", f"{name}|cases", row[h.index("Share charged")])
            know.at_most({f"{p}|cases": 1.0 for p in periods}, rec(f))
            know.at_most({f"{p}|charged": 1.0 for p in periods}, f"{f}|stage|{STAGES[4]}")
            programme[f] = periods
        elif h[:2] == ["Data check", "Rows set aside"]:
            for row in t.rows:
                if row[0].endswith("(all forces)"):
                    know.count("all|quarantined", row[1], where)
                elif row[0].startswith("Set aside for ") and (
                        f := code.get(row[0].removeprefix("Set aside for "))):
                    know.count(f"{f}|quarantined", row[1], where)
        elif h[:1] == ["Force"] and "Observed" in h:
            m = _observed_measure(run, t)
            for row in t.rows:
                f = code.get(row[0])
                if f is None or m is None:
                    continue
                know.count(f"{f}|model {m}", row[h.index("Observed")], where)
                know.at_most(f"{f}|model {m}", rec(f))
                if m in HEADLINES:  # the model's cases are some of the headline's followed
                    know.at_most(f"{f}|model {m}", f"{f}|{m}")
                if "Cases" in h:
                    # the case-mix model's cases (not always the headline's: rows it cannot use)
                    know.count(f"{f}|model cases", row[h.index("Cases")], where)
                    know.at_most(f"{f}|model {m}", f"{f}|model cases")
                    know.at_most(f"{f}|model cases", rec(f))
        elif h[:1] == ["Rows", "Number"][:1] and h[1:2] == ["Number"]:
            for row in t.rows:
                name = _quality(row[0], code)
                if name:
                    know.count(name, row[1], where)
        elif "Withdrawals" in h and "Out of" in h:
            f = owner
            key = h[0]
            total = f"{f}|withdrawals by {key}"
            parts = []
            for row in t.rows:
                name = f"{f}|withdrawals|{key}|{row[0]}"
                parts.append(name)
                know.count(name, row[h.index("Withdrawals")], where)
                know.count(total, row[h.index("Out of")], where)
                know.share(name, total, row[h.index("Share")])
            if key.startswith("Furthest stage"):
                know.total([f"{f}|withdrawals|{key}|{s}" for s in STAGES], total)
                # every withdrawal has a furthest stage: the outcome mix's withdrawals
                know.total([total], f"{f}|outcome|{OUTCOMES[1]}")
                for s in STAGES[4:]:  # structural zeros for a withdrawal, unless listed
                    if f"{f}|withdrawals|{key}|{s}" not in parts:
                        know.structural(f"{f}|withdrawals|{key}|{s}")
            else:
                for a, b in zip(parts, parts[1:]):
                    know.at_most(a, b)
                for p in parts:
                    know.at_most(p, total)
        elif h[:2] == ["Allegation", "Outcome"] and "Out of" in h:
            f = owner
            groups = {}
            for row in t.rows:
                total = f"{f}|allegations|{row[0]}"
                name = f"{f}|allegations|{row[0]}|{row[1]}"
                groups.setdefault(total, []).append(name)
                know.count(name, row[h.index("Cases")], where)
                know.count(total, row[h.index("Out of")], where)
                know.share(name, total, row[h.index("Estimate")])
            # Item 6: an allegation against a named suspect cannot end "no suspect identified"
            # (docs/domain.md: outcome 18 means no suspect was identified). Both groups are
            # allegations with a named suspect (the other group too), and the synthetic world
            # names none in a case that ends so.
            for group in {row[0] for row in t.rows}:
                know.structural(f"{f}|allegations|{group}|No suspect identified")
            for total, parts in groups.items():
                if {p.rsplit("|", 1)[1] for p in parts} >= set(OUTCOMES):
                    know.total(parts, total)
            # Both groups are the headline's cases followed for a year that have a named
            # suspect, each judged on the same year. A charge and evidential difficulties
            # (outcome 15) need a named suspect (docs/domain.md), so the two groups' charges
            # are the headline's charges within a year, and so for evidential difficulties;
            # the withdrawals (outcomes 14 and 16) and the cases are at most the headline's.
            listed = sorted(groups)
            for outcome, measure, exact in ((OUTCOMES[0], HEADLINES[0], True),
                                            (OUTCOMES[1], HEADLINES[1], False),
                                            (OUTCOMES[2], HEADLINES[2], True)):
                parts = {f"{g}|{outcome}": 1.0 for g in listed}
                if exact:
                    know.total(list(parts), f"{f}|{measure}")
                else:
                    know.at_most(parts, f"{f}|{measure}")
            know.at_most({g: 1.0 for g in listed}, f"{f}|followed")
        elif h[:1] == ["Repeat suspects"]:
            f = owner
            for row in t.rows:
                know.count(f"{f}|repeat", row[0], where)
                know.count(f"{f}|suspects", row[h.index("Suspects named")], where)
                know.share(f"{f}|repeat", f"{f}|suspects", row[h.index("Share")])
                know.at_most(f"{f}|repeat", f"{f}|suspects")
                a = h.index("Cases involving a repeat suspect")
                b = h.index("Cases with a named suspect")
                know.count(f"{f}|repeat cases", row[a], where)
                know.count(f"{f}|named cases", row[b], where)
                know.at_most(f"{f}|repeat cases", f"{f}|named cases")
                know.at_most(f"{f}|named cases", rec(f))
                # a case has a named suspect when one is identified: the funnel's stage
                know.total([f"{f}|named cases"], f"{f}|stage|{STAGES[1]}")
        elif h[:2] == ["Measure", "Estimate"] and "With the event" in h:
            f = owner
            for row in t.rows:
                name = f"{f}|forensics|{row[0]}"
                if row[0] == "Withdrawal hazard ratio":
                    # a model of all the force's cases: its crimes recorded and withdrawals
                    know.total([name + "|cases"], rec(f))
                    know.total([name + "|events"], f"{f}|outcome|{OUTCOMES[1]}")
                know.count(name + "|cases", row[h.index("Cases")], where)
                know.count(name + "|events", row[h.index("With the event")], where)
                know.at_most(name + "|events", name + "|cases")
                if "(share)" in row[0] or "share" in row[0].lower():
                    know.share(name + "|events", name + "|cases", row[h.index("Estimate")])
        elif h[:1] == ["Stage"] and any(c.endswith(": cases so far") for c in h):
            # the funnel, one pair of columns per offence group
            _wide_split(know, t, STAGES, "stage", ": cases so far", ": share of recorded")
        elif h[:3] == ["Outcome", "Measure", "Factor"] and "Cases" in h:
            # the driver models: each factor level's cases, the same count in every model
            # (charge and withdrawal, rate and probability); a factor's levels and its
            # reference (not printed) partition the force's cases; the other-offence level is
            # the crimes recorded of other sexual offences
            f = owner
            levels: dict[str, set[str]] = {}
            for row in t.rows:
                factor = row[h.index("Factor")]
                name = f"{f}|drivers|{factor}"
                know.count(name, row[h.index("Cases")], where)
                know.at_most(name, rec(f))
                levels.setdefault(factor.split(": ")[0], set()).add(name)
                if factor == "offence group: other sexual offence":
                    know.total([name], f"{f}|other|recorded")
            for names in levels.values():
                know.at_most(dict.fromkeys(names, 1.0), rec(f))
        elif h[:1] == ["Outcome"] and any(c.startswith("by day ") for c in h):
            # time to outcome: each step the share of the named cohort (a financial year's
            # cases) with the outcome by that day (see _curve_steps); at each day the
            # outcomes together are at most the cohort
            cohort, trend = _curve_cohort(know, owner, cohorts.get(owner), rec(owner))
            days = [(j, int(c.removeprefix("by day "))) for j, c in enumerate(h)
                    if c.startswith("by day ")]
            for row in t.rows:
                _curve_steps(know, owner, row[0], [(day, row[j]) for j, day in days], cohort,
                             trend)
            for _, d in days:
                know.at_most({f"{owner}|curve|{row[0]}|{d}": 1.0 for row in t.rows}, cohort)
        elif h == ["Outcome", "Day", "Share (95% interval)"]:
            # the time-to-outcome figure's data: every step it draws, on the same curve as the
            # table's days (one quantity per outcome and day), so the events between a step of
            # the figure and a day of the table are a count too (a figure once stepped 5
            # charges below the table's and the trends' day-365 count)
            cohort, trend = _curve_cohort(know, owner, cohorts.get(owner), rec(owner))
            steps: dict[str, list[tuple[int, str]]] = {}
            for row in t.rows:
                steps.setdefault(row[0], []).append((int(row[1]), row[2]))
            for outcome, printed in steps.items():
                _curve_steps(know, owner, outcome, sorted(printed), cohort, trend)
        elif h[:1] == ["Outcome"] and any(c.endswith(": cases") for c in h):
            # how investigations ended, one pair of columns per offence group
            _wide_split(know, t, OUTCOMES, "outcome", ": cases", ": share")
        elif h[:2] == ["Offences", "Measure"] and "Reached the milestone" in h:
            # timeliness: each measure's cases and the cases that reached its milestone, per
            # offence group; several are funnel quantities under another name
            f = owner
            for prefix, row in _by_offence_group(t):
                name = f"{f}|{prefix}time|{row[1]}"
                same = TIMELINESS_IS_FUNNEL.get(row[1], {})
                # a funnel quantity keeps its funnel name: one quantity, one cell (item 7)
                cases_name, reached_name = (
                    f"{f}|{prefix}" + ("recorded" if same[part] == STAGES[0]
                                       else f"stage|{same[part]}") if part in same
                    else f"{name}|{part}" for part in ("cases", "reached"))
                know.count(cases_name, row[h.index("Cases")], where)
                know.count(reached_name, row[h.index("Reached the milestone")], where)
                know.at_most(reached_name, cases_name)
                know.total([cases_name], f"{name}|cases")
                know.total([reached_name], f"{name}|reached")
                timeliness.setdefault(f, set()).add(row[1])
                if row[1] == "Report to any outcome":
                    closed.append((f, prefix, reached_name))
        elif h[:2] == ["Offences", "Position of the file"]:
            # prosecution decisions: the positions partition the files referred
            f = owner
            for prefix, row in _by_offence_group(t):
                total = f"{f}|{prefix}decisions"
                name = f"{total}|{row[1]}"
                know.count(name, row[h.index("Files")], where)
                know.count(total, row[h.index("Files referred")], where)
                know.share(name, total, row[h.index("Share (95% interval)")].split(" (")[0])
                decisions.setdefault(f, set()).add(row[1])
        elif h[:1] == ["Offences"] and "Arrested" in h:
            # arrests within so many days of a suspect's identification
            f = owner
            for prefix, row in _by_offence_group(t):
                name = f"{f}|{prefix}arrests|{row[1]}"
                know.count(name + "|suspects", row[2], where)
                know.count(name + "|arrested", row[h.index("Arrested")], where)
                know.at_most(name + "|arrested", name + "|suspects")
                share = h.index("Share arrested (95% interval)")
                know.share(name + "|arrested", name + "|suspects", row[share].split(" (")[0])
                arrests.setdefault(f, set()).add(row[1])
        elif h[1:2] == ["Cases followed for a year"] and h[0].startswith("Victim "):
            # victim demographics: each characteristic's categories (a whole code list)
            # partition the cases followed for a year, the same cases for every
            # characteristic; each outcome's share is printed with its interval
            f, dimension = owner, h[0]
            for row in t.rows:
                group = f"{f}|victims|{dimension}|{row[0]}"
                victims.setdefault(f, {}).setdefault(dimension, set()).add(row[0])
                know.count(group, row[1], where)
                for j, outcome in enumerate(h[2:], start=2):
                    name = f"{group}|{outcome}"
                    know.at_most(name, group)
                    printed = _PCT.match(row[j].replace(",", ""))
                    if printed is None:
                        continue
                    know.share(name, group, printed.group(1) + "%")
                    if know.base is None and printed.group(2) is not None:
                        know.extreme_interval(name, group, printed.group(1) + "%",
                                              printed.group(2) + "%", printed.group(3) + "%")
        elif h[:2] == ["Financial year recorded", "Outcome"] and "Cases" in h:
            # outcomes within a year by financial year: the four outcomes partition the year's
            # cases followed for a year (its total: "Out of" nationally, never printed per force)
            f = owner
            for row in t.rows:
                year, outcome = row[0], row[1]
                total, name = f"{f}|trend|{year}", f"{f}|trend|{year}|{outcome}"
                trends.setdefault(f, {}).setdefault(year, set()).add(outcome)
                know.count(name, row[h.index("Cases")], where)
                if "Out of" in h:
                    know.count(total, row[h.index("Out of")], where)
                know.share(name, total, row[h.index("Share within a year")])
                if know.base is None:  # exact counts: a share of 0 or 1 has no design effect
                    know.extreme_interval(name, total, row[h.index("Share within a year")],
                                          row[h.index("95% interval from")], row[h.index("to")])
        elif h[:1] == ["Caseload"] and "Cases" in h:
            f = owner
            for row in t.rows:
                target = rec(f) if row[0].startswith("All cases") else (
                    f"{f}|outcome|{OPEN}" if row[0].startswith("Cases open") else None)
                if target:
                    know.count(target, row[h.index("Cases")], where)
                know.count(f"{f}|officers|{row[0]}", row[h.index("Officers")], where)
            # every officer with a case in the period has one open at the extract date in the
            # synthetic world (each carries many cases, a third of them open): a reader of it
            # takes the two counts of officers as one, the stronger assumption
            labels = [row[0] for row in t.rows]
            every = [x for x in labels if x.startswith("All cases")]
            still = [x for x in labels if x.startswith("Cases open")]
            if every and still:
                know.total([f"{f}|officers|{still[0]}"], f"{f}|officers|{every[0]}")
    # the trend tables' totals: each year's outcomes add up to its cases; national = the sum
    # of the forces'
    years = sorted({y for by_year in trends.values() for y in by_year})
    outcomes = sorted({o for by_year in trends.values() for os in by_year.values() for o in os})
    for f in trends:
        for y in years:
            know.total([f"{f}|trend|{y}|{o}" for o in outcomes], f"{f}|trend|{y}")
    # One cohort of "cases followed for a year" (docs/methods.md section 8): the trend's years
    # together are the headline's cases followed a year (transfers within the year left out
    # of both), with its charges, withdrawals and evidential difficulties; the programme's
    # cohorts before and after joining (its quarters stop at the last of those years), the
    # forensics table's cases of the share of requests and the victim breakdowns' cases are
    # the same cases.
    for f in trends:
        whole = {f"{f}|trend|{y}": 1.0 for y in years}
        same = [f"{f}|followed"]
        if f in programme:
            same.append({f"{p}|cases": 1.0 for p in programme[f]})
        requests = f"{f}|forensics|Cases with a victim device requested (share)|cases"
        if requests in know.index:
            same.append(requests)
        if f in victims:
            same.append(f"{f}|victims")
        for other in same:
            other = other if isinstance(other, dict) else {other: 1.0}
            know.constrain({**whole, **{k: -v for k, v in other.items()}}, 0.0, 0.0)
        for m, o in zip(HEADLINES, OUTCOMES):
            if o in outcomes:
                know.constrain({**{f"{f}|trend|{y}|{o}": 1.0 for y in years}, f"{f}|{m}": -1.0},
                               0.0, 0.0)
        if f in programme and OUTCOMES[0] in outcomes:
            know.constrain({**{f"{p}|charged": 1.0 for p in programme[f]},
                            **{f"{f}|trend|{y}|{OUTCOMES[0]}": -1.0 for y in years}}, 0.0, 0.0)
    # the cases that reached an outcome (timeliness, report to any outcome) are the crimes
    # recorded less the outcome mix's open and transferred cases (every other outcome ends
    # the case; a transfer censors it)
    for f, prefix, reached in closed:
        censored = [f"{f}|{prefix}outcome|{o}" for o in OUTCOMES[-2:]]
        if all(name in know.index for name in censored):
            know.constrain({reached: 1.0, **dict.fromkeys(censored, 1.0),
                            f"{f}|{prefix}recorded": -1.0}, 0.0, 0.0)
    # the timeliness, decision and arrest tables: rape and other add up to all (per force
    # and nationally), national = the sum of the forces'; the positions of the file partition
    # the files referred
    def split_up(owners, names):
        for f in owners:
            for name in names:
                know.total([f"{f}|rape|{name}", f"{f}|other|{name}"], f"{f}|{name}")
        for name in names:
            for prefix in SPLIT.values():
                know.total([f"{f}|{prefix}{name}" for f in forces], f"national|{prefix}{name}")

    split_up(timeliness, [f"time|{m}|{part}" for ms in timeliness.values() for m in ms
                          for part in ("cases", "reached")])
    split_up(decisions, ["decisions"] + [f"decisions|{d}" for ds in decisions.values()
                                         for d in ds])
    split_up(arrests, [f"arrests|{d}|{part}" for ds in arrests.values() for d in ds
                       for part in ("suspects", "arrested")])
    for f, positions in decisions.items():
        for prefix in SPLIT.values():
            know.total([f"{f}|{prefix}decisions|{d}" for d in positions],
                       f"{f}|{prefix}decisions")
    for f, by_dimension in victims.items():
        for dimension, categories in by_dimension.items():
            groups = [f"{f}|victims|{dimension}|{c}" for c in sorted(categories)]
            know.total(groups, f"{f}|victims")
            for outcome in (victim_outcomes[0] if victim_outcomes else []):
                know.total([f"{g}|{outcome}" for g in groups], f"{f}|victims|{outcome}")
    if "national" in victims:
        for dimension, categories in victims["national"].items():
            for c in categories:
                group = f"victims|{dimension}|{c}"
                know.total([f"{f}|{group}" for f in forces], f"national|{group}")
                for outcome in (victim_outcomes[0] if victim_outcomes else []):
                    know.total([f"{f}|{group}|{outcome}" for f in forces],
                               f"national|{group}|{outcome}")
    if "national" in trends:
        for y in years:
            know.total([f"{f}|trend|{y}" for f in forces], f"national|trend|{y}")
            for o in outcomes:
                know.total([f"{f}|trend|{y}|{o}" for f in forces], f"national|trend|{y}|{o}")
    return know


def _by_offence_group(t: Table):
    """``(group prefix, row)`` of each row of a long table whose first column names the offence
    group (all sexual offences, rape, other sexual offences); other rows are skipped."""
    for row in t.rows:
        prefix = SPLIT.get(row[0])
        if prefix is not None:
            yield prefix, row


def _wide_split(know: Knowledge, t: Table, labels, kind: str, cases: str, share: str) -> None:
    """A table with a pair of columns (count, share of crimes recorded) per offence group, one
    row per stage or outcome (``labels``): ``<force>|<group prefix><kind>|<label>``."""
    where = f"{t.file}: {t.heading}"
    for label, prefix in SPLIT.items():
        cases_col, share_col = label + cases, label + share
        if cases_col not in t.header:
            continue
        for row in t.rows:
            if row[0] not in labels:
                continue
            name = f"{t.owner}|{prefix}{kind}|{row[0]}"
            know.count(name, row[t.header.index(cases_col)], where)
            if share_col in t.header:
                know.share(name, f"{t.owner}|{prefix}recorded", row[t.header.index(share_col)])


def _measure(label: str) -> str | None:
    label = label.lower()
    for key, m in (("charged", "charged_within"), ("withdrew", "withdrawn_within"),
                   ("evidential", "evidential_within"), ("still open", "still_open")):
        if label.startswith(key):
            return m
    return None


def _observed_measure(run: Published, table: Table) -> str | None:
    name = str(table.file)
    if name.endswith(".csv"):  # a table's own download: its name says which outcome
        return ("withdrawn_within" if "withdrawn" in name
                else "charged_within" if "charged" in name else None)
    same = [t for t in run.tables if t.file == table.file and t.header == table.header]
    order = same.index(table)
    return ("charged_within", "withdrawn_within")[order] if order < 2 else None


def _peers(run: Published, owner: str, code: dict) -> list[str] | None:
    for t in run.tables:
        if t.owner == owner and t.header[:1] == ["Most similar force"]:
            return [code[row[0]] for row in t.rows if row[0] in code]
    return None


def _quality(label: str, code: dict) -> str | None:
    if label == "Rows in the file (all forces)":
        return "all|rows"
    if label == "Accepted (all forces)":
        return "all|accepted"
    if label.startswith("Quarantined for breaking a data rule"):
        return "all|quarantined"
    for prefix, what in (("Accepted for ", "accepted"), ("Quarantined for ", "quarantined"),
                         ("In this report's period for ", "recorded")):
        if label.startswith(prefix) and label[len(prefix):] in code:
            return f"{code[label[len(prefix):]]}|{what}"
    return None

"""National figures for a force on its own, and reports that say why a table is empty.

**Benchmark file.** A run whose data hold several forces (``soteria report --forces all`` on
national data) writes ``benchmarks.json`` into its run folder: the national headline figures
and, for every force, its most similar forces and their pooled headline figures, each count,
denominator and share exactly as the run's reports publish them (after the run's disclosure
control: rounded, "[c]" where hidden), with the definitions, the period, the extract date and
the disclosure profile. A force analyst who has only the force's own export gives that file to
``soteria report --data EXPORT --mapping M --benchmarks FILE``: the "England and Wales" and
most-similar-force columns then come from the file. Without it, a one-force file has no national
or peer figures: the report leaves those columns out and says why, rather than showing the
force as "England and Wales".

**Empty outputs.** A short or recent period leaves some tables with nothing to show (no
financial year of recording followed for a full year, say). :func:`protect_empty` and
:func:`empty_sentence` let such a table say why in a sentence instead of failing, and
:func:`write_sections` records them (``sections.json``, then ``run.json``).

The headline measures and their cohorts are described in ``docs/methods.md``; disclosure
control in ``docs/methods.md`` and ``reporting/disclosure/legacy.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pandas as pd

from ..errors import ParameterError
from . import provenance
from .parameters import NATIONAL, ReportParameters

__all__ = ["BENCHMARKS_FILE", "ForceOnly", "build_benchmarks", "load_benchmarks",
           "protect_empty", "empty_sentence", "note_withheld", "write_benchmarks",
           "write_sections"]

BENCHMARKS_FILE = "benchmarks.json"
#: The benchmark file a force-only run was given, kept in its shared folder.
INPUT_COPY = "benchmarks_input.json"
FORMAT = "soteria-benchmarks"
VERSION = 1
SECTIONS_FILE = "sections.json"

#: What each headline measure counts ({days}: the follow-up window).
DEFINITIONS = {
    "recorded": "Crimes recorded in the period (a count, rounded as published).",
    "charged_within": "Share of cases charged or summonsed within {days} days of recording, "
                      "among cases recorded at least {days} days before the extract date "
                      "(cases transferred to another body within the window left out); Wilson "
                      "95% interval.",
    "withdrawn_within": "Share of cases closed because the victim withdrew support within "
                        "{days} days of recording, among the same cases; Wilson 95% interval.",
    "evidential_within": "Share of cases closed for evidential difficulties within {days} days "
                         "of recording, among the same cases; Wilson 95% interval.",
    "still_open": "Share of the cases recorded in the period still open at the extract date "
                  "(a snapshot); Wilson 95% interval.",
}

NO_BENCHMARKS = (
    "This file holds only {name}'s cases, so there are no national or most-similar-force "
    "figures to compare with, and the \"England and Wales\" and most-similar-force columns are "
    "left out. To add them, give the benchmark file of a national run: "
    "`soteria report --data EXPORT --mapping MAPPING --benchmarks benchmarks.json`."
)


# --------------------------------------------------------------------------------------------
# Writing the file (national run)
# --------------------------------------------------------------------------------------------
def build_benchmarks(params: ReportParameters, folder: str | Path) -> dict:
    """The benchmark document of a prepared run (``folder``: its shared national folder).

    The national figures are the national report's own (``metrics.json``); a force's peer
    figures are those its report shows in the "Most similar forces (together)" column, protected
    the same way (a measure any hidden peer figure would reveal is hidden).
    """
    from .national import WITHIN_DAYS, ReportContext, published_figures

    folder = Path(folder)
    national = ReportContext(params.replace(force=NATIONAL, shared="", output=""), folder)
    metrics = national.metrics()
    peers = national.artefact("peers")
    profile = national.artefact("profile")
    profile = profile.set_index("force") if not profile.empty else profile
    cases = national.national_cases
    groups = {}
    for force in sorted(national.validation["valid_by_force"]):
        mine = peers[peers["force"].eq(force)].sort_values("rank") if len(peers) else peers
        codes = mine["peer"].tolist() if len(mine) else []
        if not codes:
            continue
        pooled = national.peer_headline(codes, cases[cases["force"].isin(codes)])
        groups[force] = {
            "peers": codes,
            "similarity": ([round(float(v), 4) for v in mine["similarity"]]
                           if "similarity" in mine.columns else None),
            "figures": published_figures(pooled),
        }
    profiles = {}
    for force in profile.index if len(profile) else []:
        row = profile.loc[force]
        profiles[str(force)] = {k: (None if pd.isna(row.get(k)) else round(float(row[k]), 4))
                                for k in ("population", "rape_share", "partner_share")
                                if k in row.index}
    label = getattr(national.disclosure.profile, "label", "") or ""
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "package_version": provenance.package_version(),
        "data": {"name": Path(params.data).name,
                 "sha256": national.validation.get("sha256")
                 or (provenance.file_sha256(params.data) if Path(params.data).is_file() else "")},
        # the requested period (empty: from the first case / to the last), never the first
        # and last cases' dates, which a report does not publish
        "period": {"start": metrics["period_start"] or None,
                   "end": metrics["period_end"] or None,
                   "extract_date": metrics["extract_date"],
                   "cohorts": metrics["cohorts"],
                   # the first and last recording day the shares count (what makes two
                   # reports' shares comparable: ForceOnly.comparable)
                   "recorded_from": metrics.get("recorded_from") or None,
                   "recorded_to": metrics.get("recorded_to") or None},
        "within_days": WITHIN_DAYS,
        "disclosure": {"profile": params.disclosure, "threshold": national.disclosure_threshold,
                       "label": label,
                       "note": "Every number is as the run's reports publish it, after the "
                               "run's disclosure control: rounded, and \"[c]\" where hidden."},
        "definitions": {m: text.replace("{days}", str(WITHIN_DAYS))
                        for m, text in DEFINITIONS.items()},
        "national": {"name": "England and Wales",
                     "forces": sorted(national.validation["valid_by_force"]),
                     "figures": metrics["figures"]},
        "peer_groups": groups,
        "profiles": profiles,
    }


def write_benchmarks(params: ReportParameters, folder: str | Path, path: str | Path) -> Path:
    """Write :func:`build_benchmarks` of the run prepared in ``folder`` to ``path``."""
    return provenance.write_json(Path(path), build_benchmarks(params, folder))


def load_benchmarks(path: str | Path) -> dict:
    """A benchmark file, checked; :class:`ParameterError` saying what is wrong otherwise."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"benchmarks {path}: no such file. Give the benchmarks.json that a "
                             "national run (soteria report --forces all) wrote in its folder.")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise ParameterError(f"benchmarks {path} is not a benchmark file (not JSON: {error}).") \
            from error
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ParameterError(f"benchmarks {path} is not a benchmark file (no \"format\": "
                             f"\"{FORMAT}\"); give the benchmarks.json of a national run.")
    if doc.get("version") != VERSION:
        raise ParameterError(f"benchmarks {path} is version {doc.get('version')!r}; this "
                             f"toolkit reads version {VERSION}: write it again with this version.")
    for key in ("national", "peer_groups", "period", "disclosure", "definitions"):
        if key not in doc:
            raise ParameterError(f"benchmarks {path} lacks {key!r}: write it again with "
                                 "soteria report --forces all.")
    return doc


def keep_input(path: str | Path, folder: Path) -> Path:
    """Check a force-only run's benchmark file and keep a copy in its shared folder."""
    load_benchmarks(path)
    target = Path(folder) / INPUT_COPY
    shutil.copyfile(path, target)
    return target


def write_run_benchmarks(base: ReportParameters, shared: Path, run_dir: Path,
                         forces_present: list[str]) -> Path | None:
    """The run's ``benchmarks.json`` when its data hold several forces; otherwise none (a
    one-force file's figures are not national), and any older file is removed."""
    target = Path(run_dir) / BENCHMARKS_FILE
    if len(forces_present) < 2:
        target.unlink(missing_ok=True)
        return None
    return write_benchmarks(base, shared, target)


# --------------------------------------------------------------------------------------------
# Reading it (a force's own file)
# --------------------------------------------------------------------------------------------
def _frame(figures: dict) -> pd.DataFrame:
    """Published figures back as a headline frame (NaN where "[c]")."""
    def number(value):
        return float("nan") if value in (None, "[c]") else float(value)

    rows = []
    for measure, figure in figures.items():
        if measure == "recorded":
            value = number(figure.get("value"))
            rows.append({"measure": measure, "label": figure.get("label", measure),
                         "count": value, "n": float("nan"), "estimate": value,
                         "ci_low": float("nan"), "ci_high": float("nan")})
        else:
            rows.append({"measure": measure, "label": figure.get("label", measure),
                         "count": number(figure.get("count")), "n": number(figure.get("n")),
                         "estimate": number(figure.get("value")),
                         "ci_low": number(figure.get("ci_low")),
                         "ci_high": number(figure.get("ci_high"))})
    return pd.DataFrame(rows, columns=["measure", "label", "count", "n", "estimate", "ci_low",
                                       "ci_high"])


class ForceOnly:
    """The comparisons of a report whose data hold one force: from a benchmark file, or none.

    Open it with :meth:`open` (None for the national report and for data holding several
    forces, whose reports compare within the data as before).
    """

    def __init__(self, context, doc: dict | None):
        self.context = context
        self.doc = doc

    @classmethod
    def open(cls, context) -> ForceOnly | None:
        if context.is_national or len(context.validation.get("valid_by_force", {})) != 1:
            return None
        path = context.params.benchmarks
        kept = Path(context.folder) / INPUT_COPY
        if path is None and kept.exists():
            path = kept
        if path is None:
            return cls(context, None)
        return cls(context, load_benchmarks(path))

    # -- words ----------------------------------------------------------------------------
    def sentence(self) -> str:
        """Where the national and peer figures come from, or why there are none."""
        name = self.context.name
        if self.doc is None:
            return NO_BENCHMARKS.format(name=name)
        period = self.doc["period"]
        words = (f"The England and Wales figures come from a benchmark file (the national "
                 f"run on {self.doc['data'].get('name')} of crimes recorded "
                 f"{period.get('start') or 'from the first case'} to "
                 f"{period.get('end') or 'the last'}, extracted {period.get('extract_date')}, "
                 "disclosure "
                 f"profile {self.doc['disclosure'].get('profile')}), as that run published them.")
        if self.peer_frame() is None:
            words += (f" The file has no most-similar forces for {name}, so that column is left "
                      "out.")
        else:
            words += " The most-similar-force figures are that run's, for this force's peers."
        if period.get("cohorts") and period["cohorts"] != self.context.headline_cohorts():
            # only when the file's cohorts differ from this report's (said in its caption):
            # the same sentence twice read as a mistake
            words += f" The file's figures: {period['cohorts']}"
        if self._ranges() is not None:
            words += (" These are not the same recording days as this report's: read the "
                      "columns side by side with care (outcomes change over the years).")
        return words

    # -- figures --------------------------------------------------------------------------
    def national_frame(self) -> pd.DataFrame | None:
        return None if self.doc is None else _frame(self.doc["national"]["figures"])

    def _group(self) -> dict | None:
        if self.doc is None:
            return None
        return self.doc["peer_groups"].get(self.context.force)

    def peers(self) -> list[str]:
        group = self._group()
        return list(group["peers"]) if group else []

    def peer_frame(self) -> pd.DataFrame | None:
        group = self._group()
        return None if group is None else _frame(group["figures"])

    def headline_view(self, columns: dict, labels: dict):
        """The headline table: this force, then the benchmark's peers and nation when given."""
        from .national import _headline_cells

        peers = self.peer_frame()
        if peers is not None:
            columns["Most similar forces (together)"] = _headline_cells(peers)
        national = self.national_frame()
        if national is not None:
            columns["England and Wales"] = _headline_cells(national)
        view = pd.DataFrame(columns)
        view.index = [labels.get(m, m) for m in view.index]
        view.index.name = "Measure"
        return self.context._styled(view.reset_index(), name="headline", caption=(
            "Shares with 95% intervals. " + self.context.headline_cohorts() + " "
            + self.sentence()))

    def peer_table(self) -> pd.DataFrame:
        """The most similar forces from the benchmark file; a sentence when there are none."""
        group = self._group()
        if group is None:
            return pd.DataFrame({"Most similar forces": [self.sentence()]})
        names = self.context.force_names
        profiles = self.doc.get("profiles", {})

        def feature(code, key, fmt):
            value = profiles.get(code, {}).get(key)
            return "" if value is None else fmt.format(value)

        codes = group["peers"]
        table = pd.DataFrame({
            "Most similar force": [names.get(c, c) for c in codes],
            "Population (2011)": [feature(c, "population", "{:,.0f}") for c in codes],
            "Rape share": [feature(c, "rape_share", "{:.0%}") for c in codes],
            "Partner or ex-partner share": [feature(c, "partner_share", "{:.0%}")
                                            for c in codes],
        })
        if group.get("similarity"):
            table["More alike than this share of pairs of forces"] = [
                f"{v:.0%}" for v in group["similarity"]]
        return table

    def _ranges(self) -> tuple[str, str] | None:
        """(the file's, this report's) recording periods in words when their shares count
        different recording days; None when they count the same (files written before the range
        was stored are compared by their cohort sentence)."""
        period = self.doc["period"]
        if "recorded_from" in period:
            mine = self.context.headline_range()
            theirs = (period.get("recorded_from") or "?", period.get("recorded_to") or "?")
            ours = (mine.get("recorded_from") or "?", mine.get("recorded_to") or "?")
            if theirs == ours:
                return None
            return (f"recorded {theirs[0]} to {theirs[1]}", f"recorded {ours[0]} to {ours[1]}")
        theirs_text, ours_text = period.get("cohorts") or "", self.context.headline_cohorts()
        if theirs_text == ours_text:
            return None
        return (f"as the file says (\"{theirs_text}\")", f"as said above (\"{ours_text}\")")

    def comparable(self) -> str:
        """Why this report's shares and the benchmark file's cannot be differenced ("" when
        they count the same recording days).

        The shares count cases recorded from ``recorded_from`` to ``recorded_to``, each then
        followed for the same window. Outcomes change over the years, so a difference between
        shares of different recording periods mixes the change over time with the difference
        between forces: such a difference is not shown.
        """
        ranges = self._ranges()
        if ranges is None:
            return ""
        return (f"The benchmark file's shares count cases {ranges[0]}; this report's count cases "
                f"{ranges[1]}. Outcomes change over the years, so a difference between the two "
                "would mix that change with the difference between forces, and none is shown. "
                "For differences, give the benchmark file of a national run of the same "
                "period (soteria report --period-start/--period-end, the same extract date).")

    def differences(self, columns: list[str]) -> pd.DataFrame:
        """This force's shares minus the benchmark's: the rest of England and Wales (the
        file's national counts less this force's own, when the national run held this force)
        and the pooled peers, Newcombe 95% intervals from the counts (the file's are rounded as
        published: the interval is a little approximate). "[c]" where either side is hidden.

        Only when the two count the same recording period (:meth:`comparable`); otherwise the
        frame is empty and its ``attrs["note"]`` says why.
        """
        from ..analysis import comparison

        if self.doc is None:
            frame = pd.DataFrame(columns=columns)
            frame.attrs["note"] = self.sentence()
            return frame
        reason = self.comparable()
        if reason:
            frame = pd.DataFrame(columns=columns)
            frame.attrs["note"] = reason
            return frame
        context = self.context
        headline = context.artefact("headline")
        own = headline[headline["force"].eq(context.force) & ~headline["measure"].eq("recorded")]
        shown = context.protected_headline().set_index("measure")
        hidden_own = shown[["count", "n"]].isna().any(axis=1)
        # this force's side as its headline publishes it (rounded counts), so the two agree
        own = own.drop(columns=["count", "n"]).join(shown[["count", "n"]], on="measure")
        national = self.national_frame()
        in_national = context.force in (self.doc["national"].get("forces") or [])
        sides = [("England and Wales excluding this force (benchmark file)"
                  if in_national else "England and Wales (benchmark file)", national, in_national),
                 ("Most similar forces (together, benchmark file)", self.peer_frame(), False)]
        rows = []
        for label, theirs, less_own in sides:
            if theirs is None:
                continue
            theirs = theirs[~theirs["measure"].eq("recorded")].set_index("measure")
            for figure in own.itertuples(index=False):
                row = {"measure": figure.label, "comparator": label}
                other = theirs.loc[figure.measure] if figure.measure in theirs.index else None
                mine_hidden = bool(hidden_own.get(figure.measure, True))
                count = n = float("nan")
                if other is not None:
                    count, n = other["count"], other["n"]
                    if less_own:  # the rest of England and Wales: this force taken out
                        count, n = count - figure.count, n - figure.n
                if other is None or pd.isna(count) or pd.isna(n) or n <= 0 or count < 0 \
                        or mine_hidden or figure.n <= 0:
                    row.update(force_share="[c]" if mine_hidden else figure.count / figure.n
                               if figure.n > 0 else "[c]",
                               comparator_share="[c]" if other is None or pd.isna(count)
                               or pd.isna(n) or n <= 0 or count < 0 else count / n,
                               difference="[c]", ci_low="[c]", ci_high="[c]")
                    rows.append(row)
                    continue
                pair = pd.DataFrame({"force": [context.force, "_benchmark"],
                                     "count": [figure.count, count], "n": [figure.n, n]})
                table = comparison.force_differences(pair, force=context.force, measure=None)
                table = table[table["contrast"].eq("difference")].iloc[0]
                row.update(force_share=float(table["share"]), comparator_share=float(count / n),
                           difference=float(table["estimate"]), ci_low=float(table["ci_low"]),
                           ci_high=float(table["ci_high"]))
                rows.append(row)
        return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------
# Tables with nothing to show
# --------------------------------------------------------------------------------------------
#: Follow-up each output needs before it has rows, in days (outputs that need none: absent).
FOLLOW_UP = {"cohort_trends": 365, "cohort_trends_national": 365, "withdrawal_timing": 730,
             "differences": 365, "earlier_allegations": 365, "device_requests": 365}
#: What an empty output means when it is not short follow-up or small numbers.
EMPTY_MEANS = {"validation_rules": "No row of the file broke a data rule."}


def empty_reason(context, frame: pd.DataFrame, name: str) -> str:
    """Why ``frame`` (an output of this report) has nothing to show, in a sentence."""
    note = frame.attrs.get("note", "")
    if name == "differences" and note:
        return note
    if name in EMPTY_MEANS:
        return EMPTY_MEANS[name]
    threshold = context.disclosure_threshold
    n = len(context.cases)
    if threshold and n < threshold:
        return (f"Fewer cases than the disclosure threshold: {context.name} recorded fewer than "
                f"{threshold} crimes of this kind in the period, too few to show this safely.")
    days = FOLLOW_UP.get(name)
    extract = context.extract_date
    if days and extract is not None and len(context.cases):
        first = pd.Timestamp(context.cases["recorded_date"].min())
        have = (pd.Timestamp(extract) - first).days
        if have < days or name.startswith("cohort_trends"):
            whole = (" (whole financial years of recording)" if name.startswith("cohort_trends")
                     else "")
            # no case dates in the sentence: a report publishes the requested period only
            return (f"Not enough follow-up yet: this table needs cases followed for {days} days "
                    f"from recording{whole}, and no case in this period has been followed that "
                    f"long by the extract date ({pd.Timestamp(extract).date().isoformat()})."
                    + (f" {note}" if note and note != "Every cohort has full follow-up." else ""))
    return note or "Nothing to show: no case in this period has what this table counts."


def protect_empty(context, frame: pd.DataFrame, *, name: str, kind: str = "counts", **options):
    """Protect an empty output (alone: the run's linked pattern has no rows for it), log it,
    and note why it is empty."""
    result = context.disclosure.protect(frame, name=name, kind=kind, **options)
    reason = empty_reason(context, frame, name)
    context.empty_outputs[name] = reason
    result.frame.attrs["empty_reason"] = reason
    # The notebooks print the analysis frame's own note under a figure (the cohort trend):
    # make that note the whole reason, so the report says why without a notebook change.
    frame.attrs["note"] = reason
    return result


def empty_sentence(context, protected) -> str:
    """What a report shows for an empty output: the sentence saying why."""
    name = getattr(protected.record, "name", "")
    return (protected.frame.attrs.get("empty_reason") or context.empty_outputs.get(name)
            or "Nothing to show for this period.")


def note_withheld(context, shown: pd.DataFrame) -> None:
    """Record an output whose every count disclosure control hid (shown as [c] throughout)."""
    info = shown.attrs.get("disclosure") or {}
    name = info.get("name")
    if info.get("status") != "withheld" or not name or name in context.empty_outputs:
        return
    threshold = context.disclosure_threshold
    context.withheld_outputs[name] = (
        f"Fewer cases than the disclosure threshold: every figure in this table rests on "
        f"fewer than {threshold} cases, or would reveal one that does, so all are hidden.")


def write_sections(context, path: Path) -> Path:
    """``sections.json``: the outputs of this report with nothing to show, and why."""
    empty = [{"output": name, "status": "empty", "reason": reason}
             for name, reason in context.empty_outputs.items()]
    empty += [{"output": name, "status": "withheld", "reason": reason}
              for name, reason in getattr(context, "withheld_outputs", {}).items()]
    return provenance.write_json(Path(path), {"report": context.force, "empty": empty})


def read_sections(publish: Path) -> list[dict]:
    """The empty outputs a published report recorded (none when it recorded nothing)."""
    path = Path(publish) / SECTIONS_FILE
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("empty", [])
    except (OSError, ValueError):
        return []

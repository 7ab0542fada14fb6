"""The index page of a report run: every force with its status, headline figures and a link.

Plain HTML with inline CSS (no scripts, nothing fetched), so it opens anywhere, offline.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

from . import provenance
from .disclosure.text import period_text

INDEX_MEASURES = (
    ("recorded", "Crimes recorded", "count"),
    ("charged_within", "Charged within a year", "share"),
    ("withdrawn_within", "Victim withdrew within a year", "share"),
    ("still_open", "Still open", "share"),
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;
max-width:1100px;color:#1f2933;line-height:1.45;padding:0 1rem}
h1{font-size:1.7rem;margin-bottom:.2rem}
.meta{color:#52606d;font-size:.92rem;margin-bottom:1.4rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{padding:.45rem .6rem;border-bottom:1px solid #e4e7eb;text-align:right}
th{background:#f5f7fa;font-weight:600}
th:first-child,td:first-child,td.status,th.status{text-align:left}
tr:hover td{background:#fafbfc}
.ok{color:#1f7a3a;font-weight:600}.skipped{color:#52606d;font-weight:600}
.failed{color:#b42318;font-weight:700}
.note{background:#f5f7fa;border-left:4px solid #0072B2;padding:.6rem 1rem;margin:1rem 0}
.error{color:#b42318;font-size:.85rem;text-align:left}
a{color:#0b5cad}
"""


def _figure(metrics: dict | None, measure: str, kind: str) -> str:
    if not metrics:
        return ""
    figure = metrics.get("figures", {}).get(measure)
    if not figure:
        return ""
    value = figure.get("value")
    if value is None:
        return ""
    if isinstance(value, str):  # "[c]": suppressed by disclosure control
        return escape(value)
    return f"{value:,.0f}" if kind == "count" else f"{value:.1%}"


def _read_metrics(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def render_index(run_dir: str | Path, run_record: dict, *, names: dict[str, str]) -> str:
    """The HTML text of ``index.html`` for a run (see :func:`write_index`)."""
    run_dir = Path(run_dir)
    reports = run_record["reports"]
    national = next((r for r in reports if r["kind"] == "national"), None)
    parameters = run_record.get("parameters", {})
    data = run_record.get("data", {})
    git = run_record.get("git") or {}
    rows = []
    for report in (r for r in reports if r["kind"] == "force"):
        code = report["name"]
        status = report["status"]
        metrics = _read_metrics(run_dir / "forces" / code / "metrics.json")
        link = (f'<a href="forces/{escape(code)}/report.html">{escape(names.get(code, code))}</a>'
                if status != "failed" else escape(names.get(code, code)))
        cells = "".join(f"<td>{_figure(metrics, m, kind)}</td>" for m, _, kind in INDEX_MEASURES)
        label = {"ok": "built", "skipped": "unchanged", "failed": "FAILED"}.get(status, status)
        error = (f'<div class="error">{escape(report.get("error") or "")} '
                 f'(log: <a href="{escape(report["log"])}">{escape(report["log"])}</a>)</div>'
                 if status == "failed" else "")
        rows.append(f'<tr><td>{link}{error}</td><td class="status {status}">{label}</td>{cells}</tr>')
    headers = "".join(f"<th>{escape(label)}</th>" for _, label, _ in INDEX_MEASURES)
    summary = run_record.get("summary", {})
    national_line = ""
    if national is not None:
        national_line = (
            '<p class="note"><a href="national/overview.html"><strong>National overview</strong>'
            "</a>: all forces compared, after allowing for case mix.</p>"
            if national["status"] != "failed" else
            f'<p class="note failed">The national overview failed: {escape(national.get("error") or "")}</p>'
        )
    profile = parameters.get("disclosure", "")
    # The period as requested, never the first and last case's dates (issue 16, item 4): an
    # index of a two-year run printed its counts with no period at all.
    period = period_text(parameters.get("period_start"), parameters.get("period_end"))
    extract = parameters.get("extract_date") or ""
    scope = (f"Crimes recorded: <strong>{escape(str(period))}</strong>"
             + (f" &middot; viewed as extracted on <strong>{escape(str(extract))}</strong>"
                if extract else "") + ".<br>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>RASSO force deep-dives: {escape(run_record.get("run", ""))}</title>
<style>{_CSS}</style></head>
<body>
<h1>RASSO investigations: force deep-dive reports</h1>
<div class="meta">Run <strong>{escape(run_record.get("run", ""))}</strong>, finished
{escape(run_record.get("finished", ""))} &middot; disclosure profile <strong>{escape(profile)}</strong>
&middot; soteria-research {escape(run_record.get("package_version", ""))}
(commit {escape(str(git.get("commit") or "not recorded"))}) &middot; data dictionary
v{escape(run_record.get("dictionary_version", ""))} &middot; data SHA-256
<code>{escape(str(data.get("sha256", ""))[:16])}…</code><br>
{scope}
{summary.get("ok", 0)} built, {summary.get("skipped", 0)} unchanged, {summary.get("failed", 0)} failed.
Figures have passed disclosure control: [c] marks a figure hidden to protect the people involved.
Shares count outcomes within a year of recording, among cases with a full year of follow-up.</div>
{national_line}
<table><thead><tr><th>Force</th><th class="status">Report</th>{headers}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<p class="meta">Provenance of every report (parameters, timings, versions) is in
<a href="run.json">run.json</a>.</p>
</body></html>
"""


def write_index(run_dir: str | Path, run_record: dict, *, names: dict[str, str]) -> Path:
    """Write ``index.html`` into the run folder, atomically.

    Examples
    --------
    >>> from soteria_research.reporting.html import write_index
    >>> write_index("reports/run", run_record, names={})  # doctest: +SKIP
    """
    return provenance.write_atomic(Path(run_dir) / "index.html",
                                   render_index(run_dir, run_record, names=names))

"""Key messages: three to six plain findings at the top of a report, written by code.

Each message is built only from figures the report already publishes after disclosure
control (``ReportContext.protected_headline``, ``differences``, the protected stage funnel and
cohort trends), formatted exactly as their tables show them (``takeaway.format_share``), so
every number in a message can be found in a table of the same report. A figure that is hidden
leaves its message out, or the message says it is hidden; nothing is computed here from cases.

Order: the share charged within a year, this force against the rest of England and Wales and
its most similar forces, victim withdrawal against the rest of England and Wales, the largest
loss between two stages of the funnel, and the direction of the trend by financial year.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .disclosure import MARKER
from .takeaway import MINUS, format_share

__all__ = ["MAX_MESSAGES", "key_messages", "key_messages_markdown"]

MAX_MESSAGES = 6
_EAW = "England and Wales without this force"
_PEERS = "Most similar forces (together)"
_EAW_FILE = "England and Wales (benchmark file)"
_PEERS_FILE = "Most similar forces (together, benchmark file)"


def _hidden(value) -> bool:
    return value is None or (isinstance(value, str) and value == MARKER) or (
        not isinstance(value, str) and pd.isna(value))


def _points(value) -> str:
    """A difference of shares in percentage points, as its table shows it without the sign
    of percent: ``−1.6%`` → ``−1.6``."""
    return format_share(value).rstrip("%")


def _interval(low, high, *, points: bool = False) -> str:
    if _hidden(low) or _hidden(high):
        return ""
    show = _points if points else format_share
    unit = " points" if points else ""
    return f" (95% interval {show(low)} to {show(high)}{unit})"


def _headline(report) -> pd.DataFrame:
    return report.protected_headline().set_index("measure")


def charge_share(report) -> str | None:
    """The share charged within a year, with its interval (hidden: said so)."""
    headline = _headline(report)
    if "charged_within" not in headline.index:
        return None
    row = headline.loc["charged_within"]
    if _hidden(row["estimate"]):
        # not "too few cases": a large force's share is also hidden when it would give away
        # a small count elsewhere (secondary suppression), and the reader should not be told
        # the force is small
        return (f"**Charge.** The share of {report.name}'s crimes charged within a year is "
                f"hidden ({MARKER}) by disclosure control, to protect small numbers in it or in "
                "another figure it would give away (see the appendix).")
    return (f"**Charge.** {format_share(row['estimate'])} of crimes recorded in "
            f"{report.name} and followed for a full year were charged or summonsed within a "
            f"year{_interval(row['ci_low'], row['ci_high'])}.")


def withdrawal_share(report) -> str | None:
    """The share of victims withdrawing within a year (national report)."""
    headline = _headline(report)
    if "withdrawn_within" not in headline.index:
        return None
    row = headline.loc["withdrawn_within"]
    if _hidden(row["estimate"]):
        return None
    return (f"**Victim withdrawal.** In {format_share(row['estimate'])} of cases followed for a "
            f"full year the victim withdrew support within a year"
            f"{_interval(row['ci_low'], row['ci_high'])}.")


def _difference_text(row, words: str) -> str:
    """"2.1 percentage points higher than <words> (30.0%) (95% interval ...), more than
    chance alone would make"; empty when the difference is hidden."""
    difference = row["difference"]
    if _hidden(difference) or _hidden(row["comparator_share"]):
        return ""
    low, high = row["ci_low"], row["ci_high"]
    value = float(difference)
    if value == 0:
        size = f"the same as {words}"
    elif float(_points(abs(value))) == 0:  # printed 0.0 in the table: neither higher nor lower
        size = f"about the same as {words}"
    else:
        size = (f"{_points(abs(value))} percentage points {'higher' if value > 0 else 'lower'} "
                f"than {words}")
    sure = ""
    if not (_hidden(low) or _hidden(high)):
        beyond = float(low) > 0 or float(high) < 0
        sure = (", more than chance alone would make" if beyond
                else ", within what chance alone could make")
    return (f"{size} ({format_share(row['comparator_share'])})"
            f"{_interval(low, high, points=True)}{sure}")


def _comparison(report, measure_code: str, topic: str) -> str | None:
    differences = report.differences()
    if differences.empty:
        return None
    labels = report.protected_headline().set_index("measure")["label"]
    if measure_code not in labels.index:
        return None
    rows = differences[differences["measure"].eq(labels[measure_code])].set_index("comparator")
    parts = []
    own = None
    for comparator, words in ((_EAW, "the rest of England and Wales without this force"),
                              (_PEERS, "its most similar forces together"),
                              # a force-only run with a benchmark file (reporting/benchmarks.py)
                              (_EAW_FILE, "England and Wales as the benchmark file gives it"),
                              (_PEERS_FILE, "its most similar forces together (benchmark "
                                            "file)")):
        if comparator not in rows.index:
            continue
        row = rows.loc[comparator]
        text = _difference_text(row, words)
        if text:
            own = row["force_share"]
            parts.append(text)
    if not parts or _hidden(own):
        return None
    return (f"**{topic} against other forces.** {report.name}'s share, {format_share(own)}, is "
            + "; and ".join(parts) + ".")


def charge_against_others(report) -> str | None:
    """This force's charge share against the rest of England and Wales and its peers."""
    return _comparison(report, "charged_within", "Charge")


def withdrawal_against_others(report) -> str | None:
    """This force's withdrawal share against the rest of England and Wales and its peers."""
    return _comparison(report, "withdrawn_within", "Victim withdrawal")


def _protected_funnel(report) -> pd.DataFrame:
    from .national import FUNNEL_PROTECTION

    name = "funnel_national" if report.is_national else "funnel"
    return report.protect(report.table("funnel"), name=name, **FUNNEL_PROTECTION).frame


def largest_loss(report) -> str | None:
    """The stage with the smallest share of the previous stage reached (a snapshot at the
    extract date). When a stage's share is hidden, which loss is largest cannot be said."""
    from .figures import label

    funnel = _protected_funnel(report)
    if "offence_group" in funnel.columns:
        # the funnel of all sexual offences: the rape and other-offence funnels below it start
        # again at "recorded" (no share of a previous stage), which read as a hidden stage
        funnel = funnel[funnel["offence_group"].eq("all")]
    funnel = funnel.reset_index(drop=True)
    if len(funnel) < 2 or "share_of_previous" not in funnel.columns:
        return None
    shares = funnel["share_of_previous"].iloc[1:].astype(float)
    if shares.isna().any():
        return (f"**Where cases are lost.** Which stage loses most cases cannot be shown: "
                f"some stages of the funnel are hidden ({MARKER}) to protect small numbers.")
    at = int(shares.idxmin())
    stage, previous = funnel.loc[at], funnel.loc[at - 1]
    # the counts and shares of recorded crimes the funnel table prints (the share of the
    # previous stage is not in it, so a reader could not find that number)
    reached = (f"{float(previous['n']):,.0f} crimes had reached the first and "
               f"{float(stage['n']):,.0f} the second by the extract date")
    if not (_hidden(previous.get("share_of_recorded")) or _hidden(stage.get("share_of_recorded"))):
        reached += (f" ({format_share(previous['share_of_recorded'])} and "
                    f"{format_share(stage['share_of_recorded'])} of those recorded)")
    return (f"**Where cases are lost.** The largest loss is between "
            f"\"{label(previous['stage'])}\" and \"{label(stage['stage'])}\": {reached}. "
            "This counts every case at the extract date rather than estimating a chance, so it "
            "has no interval; cases still open may yet move on.")


def _protected_trends(report) -> pd.DataFrame:
    from .sections_breakdowns import protected_trends

    return protected_trends(report).frame


def trend(report, outcome: str = "charge", words: str = "charged") -> str | None:
    """The first and last financial years (full follow-up) of one outcome: which way it
    moved. "Rose"/"fell" only when the two 95% intervals do not overlap (a conservative
    reading); otherwise the change is said to be within chance."""
    trends = _protected_trends(report)
    if trends.empty:
        return None
    every = trends[trends["outcome"].eq(outcome)]
    rows = every.dropna(subset=["estimate", "ci_low", "ci_high"])
    if len(rows) < 2:
        if len(every) >= 2:
            return (f"**Trend.** Which way the share {words} within a year has moved cannot be "
                    f"shown: the figures are hidden ({MARKER}) to protect small numbers.")
        return None
    first, last = rows.iloc[0], rows.iloc[-1]
    if float(last["ci_low"]) > float(first["ci_high"]):
        way = "rose"
        note = "the intervals do not overlap"
    elif float(last["ci_high"]) < float(first["ci_low"]):
        way = "fell"
        note = "the intervals do not overlap"
    else:
        way = "shows no clear change"
        note = "the intervals overlap, so the change may be chance"
    return (f"**Trend.** The share {words} within a year {way}: "
            f"{format_share(first['estimate'])}{_interval(first['ci_low'], first['ci_high'])} "
            f"for crimes recorded in {first['cohort']}, "
            f"{format_share(last['estimate'])}{_interval(last['ci_low'], last['ci_high'])} "
            f"for {last['cohort']} ({note}).")


#: Message writers in order: ``function(report) -> str | None``.
FORCE_MESSAGES: list[Callable] = [charge_share, charge_against_others,
                                  withdrawal_against_others, largest_loss, trend]
NATIONAL_MESSAGES: list[Callable] = [charge_share, withdrawal_share, largest_loss, trend,
                                     lambda report: trend(report, "victim_withdrawal",
                                                          "where the victim withdrew")]


def key_messages(report) -> list[str]:
    """Up to :data:`MAX_MESSAGES` findings for ``report`` (a ``ReportContext``), in order."""
    writers = NATIONAL_MESSAGES if report.is_national else FORCE_MESSAGES
    found = []
    for writer in writers:
        message = writer(report)
        if message:
            found.append(message)
    return found[:MAX_MESSAGES]


def key_messages_markdown(report) -> str:
    """The key messages as a Markdown section (a sentence when none can be shown safely)."""
    messages = key_messages(report)
    if not messages:
        return ("## Key messages\n\nToo few figures in this report can be shown safely to draw "
                "conclusions; the national overview gives the context.")
    intro = ("Written from the figures in the tables below, after disclosure control; "
             f"{MINUS} marks a negative number.")
    return "## Key messages\n\n" + intro + "\n\n" + "\n".join(f"- {m}" for m in messages)

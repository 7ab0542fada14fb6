"""Data quality: how many rows of the file were read, accepted and set aside, and why.

The counts are of rows of the input file (the force's own export when a mapping was used), so
a reader can check them against the file they sent.
"""

from __future__ import annotations

import pandas as pd

from .base import BuildContext, Output, Section

#: Quarantined rows whose force could not be read are counted under this code.
UNRECOGNISED_FORCE = "not_recognised"
STATUSES = ("accepted", "quarantined")


def _force_codes(context: BuildContext) -> tuple[str, ...]:
    return (*context.names, UNRECOGNISED_FORCE)


def build_rows(context: BuildContext) -> list[Output]:
    from ..disclosure.spec import TableSpec

    validation = context.national.validation
    file_where = {"file": validation["sha256"][:16], "unit": "rows"}
    if context.is_national:
        frame = pd.DataFrame({"status": STATUSES, "n": [validation["n_valid"],
                                                       validation["n_quarantined"]]})
        where = file_where
    else:
        quarantined = validation["quarantined_by_force"].get(context.report, 0)
        accepted = validation["valid_by_force"].get(context.report, 0)
        frame = pd.DataFrame({"status": STATUSES, "n": [accepted, quarantined]})
        where = {**file_where, "force": context.report}
    spec = TableSpec(keys=("status",), counts=("n",), where=where,
                     categories={"status": STATUSES})
    rules = pd.DataFrame(validation["rule_counts"], columns=["rule", "column", "n_rows"])
    outputs = [Output(
        name="data_quality", frame=frame, spec=spec, title="Rows of the file",
        columns={"status": "Rows", "n": "Number"},
        caption=(f"Rows of {validation['source_name']} read for "
                 f"{'all forces' if context.is_national else context.name}: accepted, or set "
                 "aside (quarantined) for breaking a data rule."),
        no_truth="a count of the file's rows, not an estimate",
    )]
    if len(rules):
        rules = rules.rename(columns={"n_rows": "n"})
        rules["rule_column"] = rules["rule"] + ":" + rules["column"]
        outputs.append(Output(
            name="validation_rules", frame=rules[["rule_column", "rule", "column", "n"]],
            spec=TableSpec(keys=("rule_column",), counts=("n",), labels=("rule", "column"),
                           where={**file_where, "quarantine_reason": "any"}),
            title="Why rows were set aside (whole file)",
            columns={"rule": "Rule broken", "column": "Field", "n": "Rows"},
            caption="Rows of the whole file breaking each data rule (a row can break several).",
            no_truth="a count of the file's rows, not an estimate",
        ))
    return outputs


SECTIONS = [
    Section(
        key="data_quality",
        title="Data quality",
        intro=("Rows that break a data rule (for example, dates out of order) are set aside, "
               "not silently corrected; these counts say how many, and why."),
        build=build_rows,
    ),
]

"""The data dictionary: the case-record schema and its code lists, loaded from data_dictionaries/.

Code reads field names, types, required-ness and allowed values from here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd
import yaml

from ..errors import SoteriaError
from ..settings import DICTIONARY_DIR

SCHEMA_FILE = "case_record.yaml"


@dataclass(frozen=True)
class Field:
    """One field of the case record, as the dictionary defines it."""

    name: str
    type: str
    title: str = ""
    description: str = ""
    required: bool = False
    unique: bool = False
    minimum: object = None
    maximum: object = None
    codelist: str | None = None
    categories: tuple[tuple[str, str], ...] = ()
    derived: bool = False
    identifier: bool = False
    synonyms: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """``identifier`` for an id field, else its type: what decides its placeholders."""
        return "identifier" if self.identifier else self.type

    @property
    def allowed_values(self) -> tuple[str, ...]:
        """The allowed codes of a categorical field (empty when any value is allowed)."""
        return tuple(value for value, _ in self.categories)


@dataclass(frozen=True)
class DataDictionary:
    """The versioned case-record schema with its code lists.

    Examples
    --------
    >>> from soteria_research.data.dictionary import load_dictionary
    >>> dd = load_dictionary()
    >>> dd.outcome_group_of("16")
    'victim_withdrawal'
    >>> len(dd.forces)
    43
    """

    version: str
    fields: tuple[Field, ...]
    codelists: dict[str, pd.DataFrame]
    missing_values: tuple[str, ...]
    rules: tuple[dict, ...]
    directory: Path = field(default=DICTIONARY_DIR)
    missing_values_by_kind: dict[str, tuple[str, ...]] = field(default_factory=dict)

    # -- fields ----------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def input_fields(self) -> list[Field]:
        """Fields an input file carries (everything but the derived ones)."""
        return [f for f in self.fields if not f.derived]

    @property
    def required_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    def fields_of_type(self, kind: str) -> list[str]:
        return [f.name for f in self.fields if f.type == kind]

    @property
    def date_fields(self) -> list[str]:
        return self.fields_of_type("date")

    @property
    def identifier_fields(self) -> list[str]:
        return [f.name for f in self.fields if f.identifier]

    def missing_values_for(self, name: str) -> tuple[str, ...]:
        """The placeholders that mean "missing" in field ``name``: every field's, then its kind's.

        Examples
        --------
        >>> from soteria_research.data.dictionary import load_dictionary
        >>> dd = load_dictionary()
        >>> "unknown" in dd.missing_values_for("suspect_id"), "unknown" in dd.missing_values_for("relationship")
        (True, False)
        """
        return self.missing_values + self.missing_values_by_kind.get(self[name].kind, ())

    def rule(self, rule_id: str) -> dict:
        for rule in self.rules:
            if rule["id"] == rule_id:
                return rule
        raise KeyError(rule_id)

    # -- code lists -----------------------------------------------------------------------
    def codes(self, codelist: str) -> list[str]:
        """The codes of one code list, in file order."""
        return self.codelists[codelist]["code"].tolist()

    @property
    def forces(self) -> pd.DataFrame:
        """The 43 territorial forces: code, name, population_2011, soteria_wave, soteria_start
        (ISO date the force joined Operation Soteria) and soteria_start_basis (how it is known)."""
        return self.codelists["forces"]

    @property
    def outcome_codes(self) -> pd.DataFrame:
        return self.codelists["outcome_codes"]

    def outcome_group_of(self, code: str) -> str:
        table = self.outcome_codes.set_index("code")["outcome_group"]
        return "open" if code in ("", "0", None) else str(table[str(code)])

    @property
    def outcome_group_map(self) -> dict[str, str]:
        """Outcome code -> analytic outcome group."""
        return dict(zip(self.outcome_codes["code"], self.outcome_codes["outcome_group"]))

    @property
    def competing_risk_map(self) -> dict[str, str]:
        """Outcome group -> competing risk (charge, victim_withdrawal, ..., other, censored)."""
        groups = self.codelists["outcome_groups"].dropna(subset=["competing_risk"])
        return dict(zip(groups["code"], groups["competing_risk"]))

    @property
    def competing_risks(self) -> list[str]:
        """The competing outcomes, in the dictionary's order, without `censored`."""
        risks = self.codelists["outcome_groups"]["competing_risk"].dropna()
        return [r for r in dict.fromkeys(risks) if r != "censored"]

    @property
    def offence_group_map(self) -> dict[str, str]:
        offences = self.codelists["offence_codes"]
        return dict(zip(offences["code"], offences["offence_group"]))


def _read_codelist(path: Path) -> pd.DataFrame:
    # Codes are text ("1A", "19C", "01" must not become numbers).
    table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    for column in table.columns:
        if set(table[column].dropna().str.lower()) <= {"true", "false"}:
            table[column] = table[column].str.lower().eq("true")
        elif column.startswith("population"):
            table[column] = table[column].astype("int64")
    return table


@lru_cache(maxsize=4)
def load_dictionary(directory: str | Path | None = None) -> DataDictionary:
    """Load the case-record schema and every code list it references.

    Parameters
    ----------
    directory : path, optional
        A folder holding ``case_record.yaml`` and the code-list CSVs; defaults to the
        project's ``data_dictionaries/``.

    Examples
    --------
    >>> dictionary = load_dictionary()
    >>> "recorded_date" in dictionary.field_names
    True
    """
    directory = Path(directory) if directory else DICTIONARY_DIR
    schema_path = directory / SCHEMA_FILE
    if not schema_path.is_file():
        raise SoteriaError(
            f"No data dictionary at {schema_path}. Point `directory` at a folder holding "
            f"{SCHEMA_FILE} and its code lists (the project's data_dictionaries/)."
        )
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    codelist_names = {f["codelist"] for f in schema["fields"] if f.get("codelist")}
    codelists = {name: _read_codelist(directory / f"{name}.csv") for name in sorted(codelist_names)}
    fields = []
    for spec in schema["fields"]:
        constraints = spec.get("constraints", {})
        if spec.get("codelist"):
            table = codelists[spec["codelist"]]
            label_column = "label" if "label" in table else "name"
            categories = tuple(zip(table["code"], table[label_column]))
        else:
            categories = tuple((c["value"], c["label"]) for c in spec.get("categories", []))
        fields.append(
            Field(
                name=spec["name"],
                type=spec["type"],
                title=spec.get("title", ""),
                description=" ".join(str(spec.get("description", "")).split()),
                required=bool(constraints.get("required", False)),
                unique=bool(constraints.get("unique", False)),
                minimum=constraints.get("minimum"),
                maximum=constraints.get("maximum"),
                codelist=spec.get("codelist"),
                categories=categories,
                derived=bool(spec.get("derived", False)),
                identifier=bool(spec.get("identifier", False)),
                synonyms=tuple(str(s) for s in spec.get("synonyms", [])),
            )
        )
    return DataDictionary(
        version=str(schema["version"]),
        fields=tuple(fields),
        codelists=codelists,
        missing_values=tuple(schema.get("missingValues", [""])),
        rules=tuple(schema.get("rules", [])),
        directory=directory,
        missing_values_by_kind={kind: tuple(str(v) for v in values) for kind, values
                                in (schema.get("missingValuesByKind") or {}).items()},
    )


def render_dictionary_markdown(dictionary: DataDictionary | None = None) -> str:
    """Render the dictionary (fields, rules, code lists) as Markdown for data_dictionaries/README.md.

    The committed README is generated from the YAML and CSVs; a test fails when it is stale.
    """
    dd = dictionary or load_dictionary()
    schema = yaml.safe_load((dd.directory / SCHEMA_FILE).read_text(encoding="utf-8"))
    out = [
        f"# {schema.get('title', 'Case record')} — data dictionary v{dd.version}",
        "",
        "Generated by `soteria dictionary` from `case_record.yaml` and the code-list CSVs in this "
        "folder. Do not edit by hand: edit the YAML/CSV and re-run the command.",
        "",
        "One row = one recorded crime for one victim. Dates are ISO 8601 (`YYYY-MM-DD`); a "
        "mapping file converts other formats. A time of day is dropped; a time with a time zone "
        "is first converted to UK local time (Europe/London).",
        "",
        "Missing values, in every field (as written, lower case, UPPER case or Capitalised): "
        + ", ".join(f"`{v}`" if v else '`""`' for v in dd.missing_values) + ". "
        + " ".join(f"Also in {kind} fields: " + ", ".join(f"`{v}`" for v in values) + "."
                   for kind, values in dd.missing_values_by_kind.items()),
        "",
        "## Fields",
        "",
        "| field | type | required | title | allowed values / range | notes |",
        "|---|---|---|---|---|---|",
    ]
    for f in dd.fields:
        if f.codelist:
            allowed = f"code list [`{f.codelist}`](#{f.codelist.replace('_', '-')})"
        elif f.categories:
            allowed = ", ".join(f"`{v}`" for v in f.allowed_values)
        elif f.minimum is not None or f.maximum is not None:
            allowed = f"{f.minimum if f.minimum is not None else ''} – {f.maximum if f.maximum is not None else ''}"
        else:
            allowed = ""
        notes = []
        if f.derived:
            notes.append("derived by the loader")
        if f.identifier:
            notes.append("pseudonymous identifier: never in a report")
        if f.unique:
            notes.append("unique")
        if f.description:
            notes.append(f.description)
        if f.synonyms:
            notes.append("headers meaning this field (need a mapping): "
                         + ", ".join(f"`{s}`" for s in f.synonyms))
        out.append(
            f"| `{f.name}` | {f.type} | {'yes' if f.required else ''} | {f.title} | {allowed} | "
            + "; ".join(notes).replace("|", "/") + " |"
        )
    out += ["", "## Cross-field rules", "", "| rule | what it checks |", "|---|---|"]
    for rule in dd.rules:
        text = " ".join(str(rule["description"]).split())
        if rule.get("pairs"):
            text += " Pairs (earlier ≤ later): " + "; ".join(f"`{a}` ≤ `{b}`" for a, b in rule["pairs"]) + "."
        out.append(f"| `{rule['id']}` | {text} |")
    out += ["", "Field rules reported per row: `missing_required`, `unknown_code`, `out_of_range`, "
            "`bad_date`, `bad_integer`, `bad_boolean`, and `duplicate_row` (a later exact copy of a "
            "row; the first copy is kept). Values that cannot be read at all: `control_character` "
            "(NUL and other control characters), `bad_encoding` (bytes not in the file's encoding, "
            "such as one Windows-1252 character in a UTF-8 file), `spreadsheet_error` (`#REF!`, "
            "`#VALUE!` and Excel's other errors; `#N/A` is a missing value), "
            "`formula_not_calculated` (an Excel formula never calculated), `excel_serial_date` (a "
            "date written as Excel's day number) and `wrong_field_count` (a line with more fields "
            "than the header).", "",
            "A date column none of whose values (at least three) reads in its format stops the file "
            "when one other common format reads them all (the error names it); otherwise its "
            "unreadable values are `bad_date` rows.", "", "## Code lists", ""]
    for name, table in dd.codelists.items():
        out += [f"### {name}", "", f"From `{name}.csv`.", ""]
        out.append("| " + " | ".join(table.columns) + " |")
        out.append("|" + "---|" * len(table.columns))
        for row in table.itertuples(index=False):
            out.append("| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |")
        out.append("")
    return "\n".join(out)

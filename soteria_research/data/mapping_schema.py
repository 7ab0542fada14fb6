"""The mapping file format (v2) as a JSON Schema, and the checks that name the line of a mistake.

The schema is built from the data dictionary (field names are an ``enum``, so an editor with a
YAML language server completes them) and committed as ``data_dictionaries/mapping.schema.json``
with a Markdown page rendered from it; a test fails when either is stale. Checking a file is
two passes: the schema (structure, key names, types), then what the schema cannot say (date
formats that read dates, recodes to codes that exist, one column per field). Every problem
names its line in the YAML file and, for a misspelt key or field, the nearest valid one.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from functools import lru_cache

import yaml

from ..settings import DICTIONARY_DIR
from ._fast_jsonschema import Draft202012Validator
from .date_formats import format_problem
from .dictionary import load_dictionary
from .synonyms import closest_fields, fold, load_synonyms

SCHEMA_FILE = DICTIONARY_DIR / "mapping.schema.json"
MARKDOWN_FILE = DICTIONARY_DIR / "mapping.md"
MAPPING_VERSION = 2

# Other names people give the keys: offered as "did you mean" before spelling neighbours.
KEY_ALIASES = {
    "format": "date_format", "dateformat": "date_format", "formats": "date_formats",
    "rename": "columns", "renames": "columns", "fields": "columns", "column": "columns",
    "constant": "constants", "fixed": "constants", "defaults": "constants", "fill": "constants",
    "na_values": "missing_values", "missing": "missing_values", "nulls": "missing_values",
    "missing_tokens": "missing_values", "na": "missing_values", "unknown_values": "missing_values",
    "recode": "values", "recodes": "values", "codes": "values", "value_map": "values",
    "yes_values": "true_values", "true": "true_values", "yes": "true_values",
    "no_values": "false_values", "false": "false_values", "no": "false_values",
    "exclude": "drop", "ignore": "drop", "skip": "drop", "drop_columns": "drop",
    "version": "mapping_version", "worksheet": "sheet", "sheet_name": "sheet", "tab": "sheet",
    "name_of_field": "field", "target": "field", "to": "field",
}

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"true", "True", "TRUE"}
_FALSES = {"false", "False", "FALSE"}


# --------------------------------------------------------------------------------------------
# The schema
# --------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def mapping_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a mapping file, with the dictionary's field names.

    Examples
    --------
    >>> schema = mapping_schema()
    >>> sorted(schema["properties"])[:4]
    ['columns', 'constants', 'date_format', 'date_formats']
    >>> "crime_ref" in schema["$defs"]["field"]["enum"]
    True
    """
    dictionary = load_dictionary()
    inputs = [f.name for f in dictionary.input_fields]
    dates = [f for f in inputs if dictionary[f].type == "date"]
    words = {"type": "array", "items": {"type": ["string", "number", "boolean"]}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:soteria-research:mapping:2",
        "title": "Soteria export mapping",
        "description": (
            "How a force's own records-system export becomes the canonical case record: which "
            "column holds which field, how dates, yes/no flags and 'not known' are written, "
            "which codes mean what, and what to leave out. Read by `soteria validate --mapping`, "
            "`soteria report --mapping`, `soteria pseudonymise --mapping` and `read_cases("
            "mapping=...)`. Field names are the data dictionary's (data_dictionaries/README.md)."),
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "mapping_version": {
                "description": "Version of this format: 2. A file without it is read as version 1 "
                               "(the original keys), which version 2 extends.",
                "enum": [1, MAPPING_VERSION], "examples": [2]},
            "name": {"type": "string", "description": "A name for the mapping.",
                     "examples": ["Cumbria RMS weekly RASSO extract"]},
            "description": {"type": "string", "description": "Notes: who made it, for which export."},
            "sheet": {
                "type": ["string", "integer"], "minimum": 0,
                "description": "Excel only: the sheet holding the data, by name or by position "
                               "(0 is the first). Quote a sheet named with digits.",
                "examples": ["RASSO", 0]},
            "columns": {
                "type": "object",
                "description": "Each export column and the field it holds (`Crime Number: crime_ref`), "
                               "or a column spec: the field plus settings for that column alone. "
                               "Columns already named as the dictionary's fields need no entry.",
                "additionalProperties": {"anyOf": [{"$ref": "#/$defs/field"}, {"$ref": "#/$defs/column"}]},
                "examples": [{"Crime Number": "crime_ref",
                              "Date Recorded": {"field": "recorded_date", "date_format": "%d/%m/%Y %H:%M"},
                              "DA Flag": {"field": "domestic_abuse", "true_values": ["Y"],
                                          "false_values": [""]}}]},
            "constants": {
                "type": "object",
                "description": "Fields the export has no column for that take one value on every row: "
                               "the force of a one-force file, the extract date. Give dictionary "
                               "values: a force code, an ISO date (YYYY-MM-DD), true or false.",
                "propertyNames": {"$ref": "#/$defs/field"},
                "additionalProperties": {"type": ["string", "number", "boolean"]},
                "examples": [{"force": "cumbria", "extract_date": "2024-03-31"}]},
            "drop": {
                "type": "array", "items": {"type": "string"}, "uniqueItems": True,
                "description": "Export columns to leave out: names, addresses, free text, system "
                               "fields. A column whose name is close to a field's must be mapped "
                               "or dropped.",
                "examples": [["Victim Name", "Victim Postcode", "Beat Code"]]},
            "missing_values": {
                **words,
                "description": "Values that mean 'not known' in every column, besides the "
                               "dictionary's own missing values (data_dictionaries/README.md). "
                               "Compared ignoring case and surrounding spaces.",
                "examples": [["N/K", "-", "Unknown"]]},
            "date_format": {
                "$ref": "#/$defs/date_format",
                "description": "The format of every date column unless a column or field says "
                               "otherwise; default ISO (%Y-%m-%d).",
                "examples": ["%d/%m/%Y"]},
            "date_formats": {
                "type": "object",
                "description": "The format of particular date fields (by field name), overriding "
                               "date_format.",
                "propertyNames": {"enum": dates},
                "additionalProperties": {"$ref": "#/$defs/date_format"},
                "examples": [{"recorded_date": "%d/%m/%Y %H:%M:%S"}]},
            "true_values": {
                **words,
                "description": "Words meaning true in every yes/no column, besides true, yes, y, "
                               "t and 1 (compared ignoring case).",
                "examples": [["Y", "Yes", "X"]]},
            "false_values": {
                **words,
                "description": "Words meaning false in every yes/no column, besides false, no, n, "
                               "f and 0. Put '' in the list to read a blank as false.",
                "examples": [["N", "No"]]},
            "values": {
                "type": "object",
                "description": "Recodes, by field: each export value and the dictionary code it "
                               "stands for (null: missing). A recode wins over missing_values; "
                               "values are compared ignoring case and surrounding spaces.",
                "propertyNames": {"$ref": "#/$defs/field"},
                "additionalProperties": {"$ref": "#/$defs/recode"},
                "examples": [{"victim_sex": {"F": "female", "M": "male", "U": "not_stated"},
                              "outcome_code": {"OPEN": "0"}}]},
        },
        "$defs": {
            "field": {"type": "string", "enum": inputs,
                      "description": "A field of the data dictionary (data_dictionaries/README.md)."},
            "date_format": {
                "description": "A strptime format (%d/%m/%Y, %d/%m/%Y %H:%M, %Y-%m-%dT%H:%M:%S%z), or "
                               "a list of them tried in order. A date-time becomes its calendar "
                               "date in the UK; a value with a time zone is converted to UK time "
                               "first.",
                "anyOf": [{"type": "string"},
                          {"type": "array", "items": {"type": "string"}, "minItems": 1}]},
            "recode": {"type": "object",
                       "additionalProperties": {"type": ["string", "number", "boolean", "null"]}},
            "column": {
                "type": "object", "required": ["field"], "additionalProperties": False,
                "description": "One export column: the field it holds and settings for it alone, "
                               "which win over the file-wide ones.",
                "properties": {
                    "field": {"$ref": "#/$defs/field"},
                    "date_format": {"$ref": "#/$defs/date_format"},
                    "true_values": {**words, "description": "Words meaning true in this column."},
                    "false_values": {**words, "description": "Words meaning false in this column "
                                                             "('' for a blank)."},
                    "missing_values": {**words, "description": "Values meaning 'not known' in this column."},
                    "values": {"$ref": "#/$defs/recode", "description": "Recodes for this column."},
                }},
        },
    }


def render_schema_json() -> str:
    """The text of ``data_dictionaries/mapping.schema.json``."""
    return json.dumps(mapping_schema(), indent=2, ensure_ascii=False) + "\n"


def render_schema_markdown() -> str:
    """The text of ``data_dictionaries/mapping.md``: every key of the format, from the schema.

    Examples
    --------
    >>> render_schema_markdown().splitlines()[0]
    '# Mapping files (format v2)'
    """
    schema = mapping_schema()
    out = [
        "# Mapping files (format v2)", "",
        "Generated by `soteria mapping schema` from the JSON Schema `mapping.schema.json` in this "
        "folder (itself built from the data dictionary). Do not edit by hand.", "",
        schema["description"], "",
        "A mapping is a YAML file. Every key is optional. Unknown keys are an error that names the "
        "line and the nearest valid key. See `docs/bringing_your_own_data.md` for a walk-through.",
        "", "## Keys", "", "| key | type | meaning | example |", "|---|---|---|---|",
    ]
    for key, spec in schema["properties"].items():
        out.append(_markdown_row(key, spec, schema))
    column = schema["$defs"]["column"]
    out += ["", "## A column spec (a value of `columns`)", "", column["description"], "",
            "| key | type | meaning |", "|---|---|---|"]
    for key, spec in column["properties"].items():
        description = spec.get("description") or _resolve(spec, schema).get("description", "")
        out.append(f"| `{key}`{' (required)' if key in column['required'] else ''} | "
                   f"{_type_name(spec, schema)} | {description} |")
    out += ["", "## Date formats", "", schema["$defs"]["date_format"]["description"], "",
            "## Which setting wins", "",
            "For one value: a recode (`values`) first; then the column's own words "
            "(`true_values`, `false_values`, `missing_values` in its column spec); then the "
            "file-wide words. For a date field's format: the column spec, then `date_formats`, "
            "then `date_format`, then ISO.", "",
            "## Fields", "", "`field`, the keys of `constants` and `values`: "
            + ", ".join(f"`{f}`" for f in schema["$defs"]["field"]["enum"]) + ".", ""]
    return "\n".join(out)


def _resolve(spec: dict, schema: dict) -> dict:
    ref = spec.get("$ref")
    return schema["$defs"][ref.rsplit("/", 1)[-1]] if ref else spec


def _type_name(spec: dict, schema: dict) -> str:
    spec = {**_resolve(spec, schema), **{k: v for k, v in spec.items() if k != "$ref"}}
    if "enum" in spec and "type" not in spec:
        return "one of " + ", ".join(f"`{v}`" for v in spec["enum"])
    if "anyOf" in spec:
        return " or ".join(_type_name(s, schema) for s in spec["anyOf"])
    kind = spec.get("type", "")
    if kind == "array":
        return "list of " + _type_name(spec.get("items", {}), schema).replace(" or ", "/")
    if kind == "object":
        return "mapping"
    if spec.get("enum"):
        return "field name"
    return " or ".join(kind) if isinstance(kind, list) else kind


def _markdown_row(key: str, spec: dict, schema: dict) -> str:
    description = spec.get("description") or _resolve(spec, schema).get("description", "")
    example = ""
    if spec.get("examples"):
        example = "`" + json.dumps(spec["examples"][0], ensure_ascii=False) + "`"
    return f"| `{key}` | {_type_name(spec, schema)} | {description} | {example} |"


# --------------------------------------------------------------------------------------------
# Reading YAML with the line of every key
# --------------------------------------------------------------------------------------------
class MappingText(Exception):
    """A mapping text that is not a YAML mapping; the message names the line."""


def parse_mapping_yaml(text: str) -> tuple[dict, dict[tuple, int]]:
    """Read mapping YAML into plain values and the line of every key and list item.

    Plain scalars are text except ``null``/``~``/empty (None) and ``true``/``false`` (as in
    YAML 1.2): ``Yes``, ``N``, ``on``, ``01`` and ``2024-03-31`` stay as written, so a flag word
    or a code is never turned into a boolean, a number or a date. A key given twice is an error.

    Examples
    --------
    >>> tree, lines = parse_mapping_yaml("true_values: [Yes, Y]\\nvalues:\\n  x: {01: a}\\n")
    >>> tree
    {'true_values': ['Yes', 'Y'], 'values': {'x': {'01': 'a'}}}
    >>> lines[("values", "x")]
    3
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else "somewhere"
        raise MappingText(f"{where}: not valid YAML ({error.problem or error.context}).") from None
    except yaml.YAMLError as error:
        raise MappingText(f"not valid YAML ({error}).") from None
    if node is None:
        return {}, {}
    lines: dict[tuple, int] = {}
    tree = _construct(node, (), lines)
    if not isinstance(tree, dict):
        raise MappingText(f"line {node.start_mark.line + 1}: a mapping file is a set of `key: value` "
                          "lines (columns:, constants:, ...), not a single value or a list.")
    return tree, lines


def _construct(node, path: tuple, lines: dict):
    if isinstance(node, yaml.ScalarNode):
        if node.style is None:
            if node.value in _NULLS:
                return None
            if node.value in _TRUES or node.value in _FALSES:
                return node.value in _TRUES
            if path in (("mapping_version",), ("sheet",)) and node.value.isdigit():
                return int(node.value)  # the two whole-number keys; a quoted sheet name stays text
        return str(node.value)
    if isinstance(node, yaml.SequenceNode):
        out = []
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + 1
            out.append(_construct(item, (*path, i), lines))
        return out
    out = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise MappingText(f"line {key_node.start_mark.line + 1}: a key must be a plain name.")
        key = "" if key_node.value in _NULLS and key_node.style is None else str(key_node.value)
        line = key_node.start_mark.line + 1
        if key in out:
            raise MappingText(f"line {line}: {_show_path((*path, key))} is given twice (also on "
                              f"line {lines[(*path, key)]}); keep one.")
        lines[(*path, key)] = line
        out[key] = _construct(value_node, (*path, key), lines)
    return out


def _show_path(path: tuple) -> str:
    return " > ".join(str(p) for p in path) if path else "the file"


# --------------------------------------------------------------------------------------------
# Checking a mapping
# --------------------------------------------------------------------------------------------
def mapping_problems(tree: dict, lines: dict[tuple, int] | None = None) -> list[str]:
    """Every problem of a mapping, each as ``line N (key > key): what, and the fix``.

    Structure and names come from the JSON Schema; then what the schema cannot say. Empty
    when the mapping is good.

    Examples
    --------
    >>> tree, lines = parse_mapping_yaml("colums:\\n  Crime Number: crime_number\\n")
    >>> mapping_problems(tree, lines)
    ["line 1 (colums): unknown key 'colums' (did you mean 'columns'?)"]
    >>> mapping_problems({"columns": {"Crime Number": "crime_number"}})
    ["columns > Crime Number: 'crime_number' is not a field of the data dictionary (did you mean 'crime_ref'?)"]
    """
    lines = lines or {}
    problems = _schema_problems(tree) + _meaning_problems(tree)
    ordered = sorted(problems, key=lambda p: (_line_of(p[0], lines), str(p[0])))
    return [_located(path, text, lines) for path, text in dict.fromkeys(ordered)]


def _line_of(path: tuple, lines: dict) -> int:
    for cut in range(len(path), 0, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return 0


def _located(path: tuple, text: str, lines: dict) -> str:
    line = _line_of(path, lines)
    where = f"line {line} ({_show_path(path)})" if line else _show_path(path)
    return f"{where}: {text}"


def _schema_problems(tree: dict) -> list[tuple[tuple, str]]:
    validator = Draft202012Validator(mapping_schema())
    out = []
    for error in validator.iter_errors(tree):
        out.extend(_explain(error))
    return out


def _explain(error) -> list[tuple[tuple, str]]:
    path = tuple(error.absolute_path)
    kind = error.validator
    if kind in ("anyOf", "oneOf"):
        # Explain the branch of the instance's own shape: a text is a field name, a mapping a spec.
        branches: dict[int, list] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        fitting = [i for i, branch in enumerate(error.schema[kind])
                   if _fits(branch, error.instance)]
        if not fitting:
            return [(path, f"must be {_expected(error.schema)}, not {_show_value(error.instance)}")]
        return [p for i in fitting for sub in branches.get(i, []) for p in _explain(sub)]
    if kind == "additionalProperties":
        allowed = list(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        return [((*path, key), f"unknown key {key!r}{_did_you_mean(key, allowed)}") for key in unknown]
    if "propertyNames" in error.relative_schema_path:
        return [((*path, error.instance), _not_a_field(error.instance, error.schema.get("enum")))]
    if kind == "enum" and path and path[0] == "mapping_version":
        return [(path, f"mapping_version {error.instance!r} is not a version this toolkit reads "
                       f"(1 or {MAPPING_VERSION}): a newer toolkit may read it.")]
    if kind == "enum":
        return [(path, _not_a_field(error.instance, error.schema.get("enum")))]
    if kind == "required":
        return [(path, "a column spec needs `field:` (the dictionary field this column holds), "
                       "as in {field: crime_ref}")]
    if kind == "type":
        return [(path, f"must be {_expected(error.schema)}, not {_show_value(error.instance)}")]
    if kind == "minimum":
        return [(path, f"must be at least {error.validator_value}")]
    if kind == "minItems":
        return [(path, "must not be an empty list")]
    if kind == "uniqueItems":
        return [(path, "lists a name twice: keep one")]
    return [(path, error.message)]


def _fits(schema: dict, instance) -> bool:
    if "$ref" in schema:
        schema = mapping_schema()["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    expected = schema.get("type")
    if expected is None:
        return True
    return any(_is_type(instance, k) for k in (expected if isinstance(expected, list) else [expected]))


def _is_type(value, kind: str) -> bool:
    return {"string": isinstance(value, str), "object": isinstance(value, dict),
            "array": isinstance(value, list), "boolean": isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "null": value is None}.get(kind, False)


def _expected(schema: dict) -> str:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        named = {"field": "a field name", "column": "a column spec ({field: ..., date_format: ...})"}
        return named.get(name) or _expected(mapping_schema()["$defs"][name])
    if "anyOf" in schema:
        return " or ".join(_expected(s) for s in schema["anyOf"])
    kind = schema.get("type")
    names = {"string": "a text", "object": "a mapping (key: value lines)", "array": "a list",
             "integer": "a whole number", "number": "a number", "boolean": "true or false",
             "null": "empty"}
    if kind is None and "enum" in schema:
        return "a field name"
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(k, str(k)) for k in kinds)


def _show_value(value) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return repr(value)


def _did_you_mean(key: str, allowed: list[str]) -> str:
    folded = str(key).strip().lower().replace("-", "_").replace(" ", "_")
    alias = KEY_ALIASES.get(folded)
    if alias in allowed:
        return f" (did you mean {alias!r}?)"
    close = difflib.get_close_matches(folded, allowed, n=1, cutoff=0.6)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (the keys here are {', '.join(allowed)})"


def _not_a_field(name, allowed) -> str:
    dictionary = load_dictionary()
    if name in dictionary.field_names and dictionary[name].derived:
        source = {"outcome_group": "outcome_code", "offence_group": "offence_code"}.get(name, "its source")
        return (f"{name!r} is derived by the loader from {source}: map the export's "
                f"{source} column instead")
    candidates = allowed or [f.name for f in dictionary.input_fields]
    close = closest_fields(name, candidates)
    hint = f" (did you mean {close[0]!r}?)" if close else " (see data_dictionaries/README.md)"
    return f"{name!r} is not a field of the data dictionary{hint}"


# -- what the schema cannot say ---------------------------------------------------------------
def _meaning_problems(tree: dict) -> list[tuple[tuple, str]]:
    dictionary = load_dictionary()
    out: list[tuple[tuple, str]] = []
    out += _format_problems(tree, ("date_format",), tree.get("date_format"))
    for name, fmt in _items(tree.get("date_formats")):
        out += _format_problems(tree, ("date_formats", name), fmt)
    out += _word_overlap(("true_values",), tree.get("true_values"), tree.get("false_values"))
    seen: dict[str, tuple] = {}
    fields = {f.name for f in dictionary.input_fields}
    for column, entry in _items(tree.get("columns")):
        spec = entry if isinstance(entry, dict) else {"field": entry}
        name, at = spec.get("field"), ("columns", column)
        if not isinstance(name, str) or name not in fields:
            continue  # the schema has said what is wrong
        if name in seen:
            out.append((at, f"field {name!r} is also given by column {seen[name][-1]!r}: "
                            "map one column to each field (drop the other)"))
        seen[name] = at
        if isinstance(tree.get("drop"), list) and column in tree["drop"]:
            out.append((at, f"column {column!r} is both mapped and in drop: keep one"))
        kind = dictionary[name].type
        if "date_format" in spec:
            if kind != "date":
                out.append(((*at, "date_format"), f"{name} holds {kind} values, not dates: remove date_format"))
            else:
                out += _format_problems(tree, (*at, "date_format"), spec["date_format"])
                other = dict(_items(tree.get("date_formats"))).get(name)
                if other is not None and other != spec["date_format"]:
                    out.append(((*at, "date_format"), f"date_formats also gives {name} a format "
                                                      f"({other!r}): keep one"))
        for words in ("true_values", "false_values"):
            if words in spec and kind != "boolean":
                out.append(((*at, words), f"{name} holds {kind} values, not yes/no: remove {words}"))
        out += _word_overlap((*at, "true_values"), spec.get("true_values"), spec.get("false_values"))
        if isinstance(spec.get("values"), dict):
            out += _recode_problems((*at, "values"), name, spec["values"])
    for name, recode in _items(tree.get("values")):
        if name in fields and isinstance(recode, dict):
            out += _recode_problems(("values", name), name, recode)
    for name, value in _items(tree.get("constants")):
        if name not in fields or isinstance(value, (dict, list)) or value is None:
            continue
        if name in seen:
            out.append((("constants", name), f"{name} is also given by column {seen[name][-1]!r}: "
                                             "keep the constant or the column"))
        problem = _constant_problem(name, value)
        if problem:
            out.append((("constants", name), problem))
    return out


def _items(value) -> list[tuple]:
    return list(value.items()) if isinstance(value, dict) else []


def _format_problems(tree, at: tuple, fmt) -> list[tuple[tuple, str]]:
    if fmt is None or not isinstance(fmt, (str, list)):
        return []
    formats = fmt if isinstance(fmt, list) else [fmt]
    return [((*at, i) if isinstance(fmt, list) else at, problem)
            for i, one in enumerate(formats) if (problem := format_problem(one))]


def _word_overlap(at: tuple, true_words, false_words) -> list[tuple[tuple, str]]:
    if not isinstance(true_words, list) or not isinstance(false_words, list):
        return []
    both = {fold(w) for w in true_words} & {fold(w) for w in false_words}
    if both:
        return [(at, f"{sorted(both)} are in both true_values and false_values: keep each word in one")]
    return []


def _recode_problems(at: tuple, name: str, recode: dict) -> list[tuple[tuple, str]]:
    field = load_dictionary()[name]
    out = []
    for raw, target in recode.items():
        if target is None or isinstance(target, (dict, list)):
            continue
        problem = _value_problem(field, target, recoding=True)
        if problem:
            out.append(((*at, raw), problem))
    return out


def _constant_problem(name: str, value) -> str | None:
    return _value_problem(load_dictionary()[name], value, recoding=False)


def _value_problem(field, value, *, recoding: bool) -> str | None:
    text = str(value).strip()
    if field.type == "boolean":
        synonyms = load_synonyms()
        if isinstance(value, bool) or fold(text) in synonyms.true_words | synonyms.false_words:
            return None
        return f"{value!r} is not true or false (for {field.name})"
    if field.type == "date":
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            return f"{value!r} is not a date written YYYY-MM-DD (for {field.name})"
        return None
    if field.type == "integer":
        return None if text.lstrip("+-").isdigit() else f"{value!r} is not a whole number (for {field.name})"
    allowed = list(field.allowed_values)
    if not allowed or text in allowed or (recoding and field.name == "outcome_code" and text == "0"):
        return None
    if field.name == "force":
        from .synonyms import force_code

        code = force_code(text)
        if code:
            return f"{value!r} is not a force code (did you mean {code!r}?)"
    close = difflib.get_close_matches(text.lower().replace(" ", "_"), allowed, n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"the codes are {', '.join(allowed[:12])}"
    if len(allowed) > 12 and not close:
        hint += ", ... (data_dictionaries/README.md)"
    return f"{value!r} is not a code of {field.codelist or field.name} ({hint})"

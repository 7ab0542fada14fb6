"""The allow-list of a pseudonymised file: which columns are hashed, kept, and dropped, by name.

Only the data dictionary's fields are written (identifier fields as keyed pseudonyms); any other
column is dropped unless the user names it, and a name that marks a direct identifier can never
be kept. Used by :mod:`soteria_research.data.pseudonymise`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..errors import DataValidationError, ParameterError

__all__ = ["DIRECT_IDENTIFIER_PATTERNS", "ColumnPlan", "ID_NAMESPACES",
           "direct_identifier_columns", "identifier_kind", "plan_columns"]

#: Victim and suspect ids share one namespace so a person who is a victim in one case and a
#: suspect in another (one RMS nominal id) stays linked; other fields get their own.
ID_NAMESPACES = {"victim_id": "person", "suspect_id": "person"}

#: Kinds of direct identifier, recognised by column name (after camelCase, spaces and punctuation
#: become ``_``). They no longer decide what is dropped (everything outside the dictionary is);
#: they decide what may not be kept by name, whose values are searched for before writing, and
#: which column gives an age (a date of birth).
DIRECT_IDENTIFIER_PATTERNS = {
    "date of birth": r"(^|_)(dob|d_o_b|date_of_birth|birth_?date|birth_?day|born)(_|$)",
    "initials": r"(^|_)initials?(_|$)",
    "name": r"(^|_)(names?|fore_?names?|sur_?names?|first_?names?|last_?names?|middle_?names?|"
            r"given_?names?|family_?names?|full_?names?|maiden_?names?|nick_?names?|alias(es)?|aka)"
            r"(_|$)",
    "address or location": r"(^|_)(address\w*|addr|street|road|post_?code|zip(_?code)?|house|town|"
                           r"village|county|lsoa\w*|msoa\w*|oa|ward|beat|sector|neighbou?rhood|"
                           r"lat|latitude|lon|lng|long|longitude|easting|northing|grid_?ref\w*|"
                           r"x_?coord\w*|y_?coord\w*|what3words|w3w|location|loc|geo\w*|uprn|"
                           r"premises|venue|place)(_|$)",
    "phone": r"(^|_)(phone\w*|mobile|tel|tel_?no|telephone\w*|landline|msisdn|imei|imsi|fax)(_|$)",
    "e-mail or online account": r"(^|_)(e_?mail\w*|user_?name|handle|social_?media|facebook|"
                                r"twitter|instagram|snapchat|url|website|ip|ip_?address|"
                                r"mac_?address)(_|$)",
    "national number": r"(^|_)(nino|ni_?(number|no)|national_insurance\w*|nhs(_?(number|no))?|"
                       r"passport\w*|driving_?licen[cs]e\w*|licen[cs]e|pnc(_?id)?|pnd|"
                       r"cro(_?(number|no))?|asylum\w*)(_|$)",
    "vehicle": r"(^|_)(vrm|vehicle\w*|registration|reg_?(no|number|mark)|number_?plate|plate|vin)"
               r"(_|$)",
    "school or workplace": r"(^|_)(school\w*|college|university|employer|workplace|occupation|job)"
                           r"(_|$)",
    "free text": r"(^|_)(notes?|narrative|comments?|free_?text|text|description|desc|mo|mo_text|"
                 r"summary|details|remarks?|account|statement|circumstances|synopsis|log)(_|$)",
    "reference number": r"(^|_)(id|ids|urn|ref|refs|reference|ref_?no|number|no|num|nominal|"
                        r"custody|occurrence|incident|cad|crn|guid|uuid)(_|$)(?!of(_|$))",
}


def _snake(column: object) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(column))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def identifier_kind(column: object) -> str | None:
    """The kind of direct identifier a column's name marks it as, or ``None``.

    Examples
    --------
    >>> [identifier_kind(c) for c in ["Custody Ref", "LSOA Code", "VictimSurname", "Outcome"]]
    ['reference number', 'address or location', 'name', None]
    """
    name = _snake(column)
    for kind, pattern in DIRECT_IDENTIFIER_PATTERNS.items():
        if re.search(pattern, name):
            return kind
    return None


def direct_identifier_columns(columns, dictionary_fields=None) -> dict[str, str]:
    """Columns outside the dictionary whose names mark them as direct identifiers, with the kind.

    Examples
    --------
    >>> direct_identifier_columns(["force", "victim_surname", "victim_dob", "home_postcode"])
    {'victim_surname': 'name', 'victim_dob': 'date of birth', 'home_postcode': 'address or location'}
    """
    if dictionary_fields is None:
        from .dictionary import load_dictionary

        dictionary_fields = load_dictionary().field_names
    known = set(dictionary_fields)
    kinds = {column: identifier_kind(column) for column in columns if column not in known}
    return {column: kind for column, kind in kinds.items() if kind}


@dataclass(frozen=True)
class ColumnPlan:
    """What happens to each column of a (mapped) extract.

    ``hashed`` maps identifier columns to their pseudonym namespace; ``kept`` lists the
    dictionary fields written as they are (or coarsened); ``kept_by_request`` the other columns
    the user named; ``dropped`` every other column with the reason.
    """

    hashed: dict[str, str]
    kept: list[str]
    kept_by_request: list[str]
    dropped: dict[str, str]
    columns: list[str] = field(default_factory=list)  # written, in the extract's order


def plan_columns(
    columns: Sequence[str],
    *,
    identifiers: Iterable[str] | None = None,
    no_identifiers: bool = False,
    keep: Iterable[str] = (),
    source: str = "the extract",
) -> ColumnPlan:
    """Decide, by name alone, which columns are hashed, kept and dropped (the allow-list).

    Parameters
    ----------
    columns : the extract's columns, after its mapping has renamed them.
    identifiers : columns to hash besides the dictionary's identifier fields present.
    no_identifiers : the user says the extract has no identifier column at all.
    keep : columns outside the dictionary to write unchanged (each one named, and reported).
    source : the file's name, for messages.

    Raises
    ------
    ParameterError
        No identifier column recognised (without ``identifiers`` or ``no_identifiers``); a named
        column absent; a column to keep whose name marks it as a direct identifier; nothing to
        write.

    Examples
    --------
    >>> plan = plan_columns(["Crime Number", "crime_ref", "force", "LSOA", "Beat Code"])
    >>> plan.hashed, plan.kept, plan.dropped["LSOA"]
    ({'crime_ref': 'crime_ref'}, ['force'], 'address or location')
    """
    from .dictionary import load_dictionary

    dictionary = load_dictionary()
    columns = [str(c) for c in columns]
    duplicated = sorted({c for c in columns if columns.count(c) > 1})
    if duplicated:
        raise DataValidationError(
            f"{source}: column(s) {duplicated} appear more than once (after mapping). Keep one "
            "copy in the export, or rename or drop the others in the mapping.")
    present = set(columns)
    named_ids, keep = list(dict.fromkeys(identifiers or ())), list(dict.fromkeys(keep))
    _check_named(named_ids, present, "--identifier", columns, source)
    _check_named(keep, present, "--keep", columns, source)
    recognised = [c for c in dictionary.identifier_fields if c in present]
    if no_identifiers and (recognised or named_ids):
        raise ParameterError(
            f"{source}: --no-identifiers was given, but identifier column(s) "
            f"{recognised + named_ids} are present; they are hashed. Remove --no-identifiers.")
    if not recognised and not named_ids and not no_identifiers:
        look = [c for c in columns if identifier_kind(c) == "reference number"]
        hint = f" Columns that look like identifiers: {', '.join(look)}." if look else ""
        raise ParameterError(
            f"{source}: no identifier column recognised (none of "
            f"{', '.join(dictionary.identifier_fields)} after mapping), so nothing would be "
            f"hashed.{hint} Give the export's mapping (--mapping), name the identifier columns "
            "(--identifier COLUMN, once each), or say --no-identifiers if the file truly has none.")
    hashed = {c: ID_NAMESPACES.get(c, c) for c in dict.fromkeys(recognised + named_ids)}
    for column in keep:
        kind = identifier_kind(column)
        if column in hashed or column in dictionary.identifier_fields:
            raise ParameterError(f"{source}: --keep {column!r}: it is an identifier and is hashed; "
                                 "it cannot be kept in clear.")
        if kind and column not in dictionary.field_names:
            raise ParameterError(
                f"{source}: --keep {column!r}: its name marks it as a direct identifier ({kind}), "
                "which is never written in clear. Hash it with --identifier if it is an id; if it "
                "holds nothing personal, rename it in the export.")
    fields = set(dictionary.field_names)
    kept = [c for c in columns if c in fields and c not in hashed]
    by_request = [c for c in keep if c not in fields]
    written = [c for c in columns if c in hashed or c in kept or c in by_request]
    dropped = {c: _drop_reason(c, fields) for c in columns if c not in written}
    if not written:
        raise ParameterError(
            f"{source}: no column would be written: none is a data-dictionary field. Give the "
            "export's mapping (--mapping) so its columns are renamed to the dictionary's.")
    return ColumnPlan(hashed=hashed, kept=kept, kept_by_request=by_request, dropped=dropped,
                      columns=written)


def _check_named(named: list[str], present: set[str], option: str, columns, source: str) -> None:
    missing = [c for c in named if c not in present]
    if missing:
        import difflib

        hints = [f"{c!r} (closest: {', '.join(difflib.get_close_matches(c, columns, n=2)) or 'none'})"
                 for c in missing]
        raise ParameterError(
            f"{source}: {option} names column(s) not in the file after mapping: "
            f"{'; '.join(hints)}. Use the column names as they are after mapping.")


def _drop_reason(column: str, fields: set[str]) -> str:
    kind = identifier_kind(column)
    if kind:
        return kind
    snake = _snake(column)
    if snake in fields:
        return f"not a data-dictionary field (like {snake}: rename it in the mapping to keep it)"
    return "not a data-dictionary field"

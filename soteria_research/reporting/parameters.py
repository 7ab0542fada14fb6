"""The typed parameters of a report notebook, checked once at the top of every run.

Papermill injects parameters as YAML-ish literals (``01`` arrives as ``1``, dates as strings), so
everything is converted here or refused with a :class:`ParameterError` that says how to fix it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..errors import ParameterError
from ..settings import DISCLOSURE_PROFILES, SAMPLE_CASES

NATIONAL = "national"
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def plain_name(option: str, value: str | None) -> str | None:
    """A folder or run name with no path in it (no ``/``, ``\\``, ``..`` or leading dot).

    Examples
    --------
    >>> plain_name("run", "national-2024")
    'national-2024'
    >>> plain_name("run", "../../elsewhere")
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: run '../../elsewhere' is not a plain name: use letters, digits, '.', '_' and '-' only (no folders or '..'); the run is always written inside the output folder.
    """
    if value is None:
        return None
    if not _PLAIN_NAME.fullmatch(value) or ".." in value:
        raise ParameterError(
            f"{option} {value!r} is not a plain name: use letters, digits, '.', '_' and '-' only "
            "(no folders or '..'); the run is always written inside the output folder."
        )
    return value


def _force_codes() -> tuple[str, ...]:
    from ..data.dictionary import load_dictionary

    return tuple(load_dictionary().codes("forces"))


def _as_force(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        # A number here is usually papermill turning a quoted code into an int (``01`` -> 1).
        raise ParameterError(
            f"force={value!r} is not a force code: pass the code as text in quotes, such as "
            f"'durham' or 'city_of_london' (see data_dictionaries/forces.csv)."
        )
    code = value.strip().lower()
    if code == NATIONAL:
        return code
    known = _force_codes()
    if code not in known:
        close = [k for k in known if code[:4] and k.startswith(code[:4])]
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ParameterError(
            f"force={value!r} is not one of the 43 force codes in data_dictionaries/forces.csv."
            f"{hint} Use the lower-case code, such as 'avon_and_somerset'."
        )
    return code


def _as_date(name: str, value: object) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise ParameterError(
        f"{name}={value!r} is not a date: write it as 'YYYY-MM-DD' (for example '2023-03-31'), "
        f"or leave it empty."
    )


def _as_int(name: str, value: object) -> int:
    if isinstance(value, bool):
        raise ParameterError(f"{name}={value!r} must be a whole number such as 0 or 42.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ParameterError(f"{name}={value!r} must be a whole number such as 0 or 42.")


def _as_path(name: str, value: object, default: Path | None) -> Path | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if not isinstance(value, (str, Path)):
        raise ParameterError(f"{name}={value!r} must be a path written as text.")
    return Path(value).expanduser()


@dataclass(frozen=True)
class ReportParameters:
    """The checked parameters of one report: which force, which data, which period, how safe.

    Build it with :meth:`validate`, which accepts what papermill injects and converts or refuses
    it; the fields are then plain, typed Python values.

    Examples
    --------
    >>> from soteria_research.reporting.parameters import ReportParameters
    >>> p = ReportParameters.validate(force="durham", period_start="2023-04-01", seed="7")
    >>> p.force, p.period_start.isoformat(), p.seed
    ('durham', '2023-04-01', 7)
    """

    force: str
    data: Path
    mapping: Path | None = None
    benchmarks: Path | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    extract_date: dt.date | None = None
    disclosure: str = "publication"
    seed: int = 0
    shared: Path | None = None
    output: Path | None = None

    @classmethod
    def validate(
        cls,
        *,
        force: object = NATIONAL,
        data: object = "",
        mapping: object = "",
        benchmarks: object = "",
        period_start: object = "",
        period_end: object = "",
        extract_date: object = "",
        disclosure: object = "",
        seed: object = 0,
        shared: object = "",
        output: object = "",
    ) -> ReportParameters:
        """Convert notebook parameters to typed values, or raise :class:`ParameterError`."""
        from ..settings import get_settings

        profile = disclosure if disclosure not in (None, "") else get_settings().disclosure
        if profile not in DISCLOSURE_PROFILES:
            raise ParameterError(
                f"disclosure={disclosure!r} is not a disclosure profile; use one of "
                f"{', '.join(DISCLOSURE_PROFILES)}."
            )
        data_path = _as_path("data", data, SAMPLE_CASES)
        start = _as_date("period_start", period_start)
        end = _as_date("period_end", period_end)
        if start and end and start > end:
            raise ParameterError(
                f"period_start={start} is after period_end={end}: swap them or leave one empty."
            )
        return cls(
            force=_as_force(force),
            data=data_path,
            mapping=_as_path("mapping", mapping, None),
            benchmarks=_as_path("benchmarks", benchmarks, None),
            period_start=start,
            period_end=end,
            extract_date=_as_date("extract_date", extract_date),
            disclosure=str(profile),
            seed=_as_int("seed", seed),
            shared=_as_path("shared", shared, None),
            output=_as_path("output", output, None),
        )

    def to_notebook(self) -> dict[str, object]:
        """The parameters as papermill literals (strings, ints), the inverse of :meth:`validate`."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                out[f.name] = ""
            elif isinstance(value, (dt.date, Path)):
                out[f.name] = str(value)
            else:
                out[f.name] = value
        return out

    def to_json(self) -> str:
        """A stable JSON text of the parameters (sorted keys), for fingerprints and provenance."""
        return json.dumps(self.to_notebook(), sort_keys=True)

    def replace(self, **changes: object) -> ReportParameters:
        """A copy with some fields changed, validated again."""
        values = {**self.to_notebook(), **changes}
        return ReportParameters.validate(**values)

    def as_dict(self) -> dict[str, object]:
        """The typed fields as a dict (dates and paths kept as Python objects)."""
        return asdict(self)


def check_forces_have_cases(codes: list[str], present: set[str] | None, data: object) -> None:
    """Refuse force codes with no cases in the data, before any notebook runs.

    ``present`` is the set of force codes in the data (``None`` when it could not be read
    cheaply: the run's own validation then reports the file). The national overview always
    has cases when any force does.

    Examples
    --------
    >>> check_forces_have_cases(["durham", "wiltshire"], {"durham", "cumbria"}, "cases.csv")
    Traceback (most recent call last):
    ...
    soteria_research.errors.ParameterError: forces: wiltshire has no cases in cases.csv (forces with cases: cumbria, durham). A report on no cases cannot be built: choose forces from that list, or 'all'.
    """
    if present is None:
        return
    absent = [code for code in codes if code != NATIONAL and code not in present]
    if not absent:
        return
    have = ", ".join(sorted(present)) or "none"
    raise ParameterError(
        f"forces: {', '.join(absent)} {'has' if len(absent) == 1 else 'have'} no cases in {data} "
        f"(forces with cases: {have}). A report on no cases cannot be built: choose forces from "
        "that list, or 'all'."
    )

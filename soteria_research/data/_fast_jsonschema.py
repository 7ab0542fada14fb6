"""jsonschema without its five-second import.

``import jsonschema`` imports ``rfc3987_syntax`` when it is installed, to check the "iri"
string format, and that package compiles some forty grammars on import: about five seconds,
paid by every process that reads a case file (``data/ingest.py`` imports the mapping schema).
The mapping schema (``data/mapping_schema.py``) checks no string formats, so jsonschema is
imported here with that optional package hidden; the package is importable again afterwards.
"""

from __future__ import annotations

import sys

_HIDDEN = "rfc3987_syntax"
_hide = "jsonschema" not in sys.modules and _HIDDEN not in sys.modules
if _hide:
    sys.modules[_HIDDEN] = None  # type: ignore[assignment]  (an import of it now fails)
try:
    from jsonschema import Draft202012Validator
finally:
    if _hide:
        del sys.modules[_HIDDEN]

__all__ = ["Draft202012Validator"]

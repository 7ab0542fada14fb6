"""The public API: every function a user calls is ``sr.<name>``, documented with an example,
listed in the README by task, and ``import soteria_research`` stays light."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys

import pytest

import soteria_research as sr
from soteria_research.settings import PROJECT_ROOT

#: Functions in an analysis or data module's ``__all__`` that are deliberately not at the top
#: level, by why. Each is a step that a top-level function already takes for the user, or a
#: second spelling of one; it stays importable from its module.
NOT_AT_THE_TOP = {
    "pseudonymise runs these on every call (allow-list, leak check, key checks); "
    "pseudonymise_preview shows their outcome": [
        "data.allow_list.direct_identifier_columns", "data.allow_list.identifier_kind",
        "data.allow_list.plan_columns", "data.identifier_leaks.find_identifier_leaks",
        "data.identifier_leaks.refuse_leaks", "data.keys.as_key", "data.keys.key_from_text",
        "data.keys.check_key_strength", "data.k_anonymity.written_quasi_identifiers",
        "data.pseudonymise.sidecar_path",
    ],
    "the coarsening of pseudonymise(age_bands=True); sr.age_band is the analysis bands": [
        "data.pseudonymise.age_band",
    ],
    "steps of read_cases(mapping=) and check_mapping, which report what they find": [
        "data.mapping.date_format_advice", "data.mapping.date_formats_for",
        "data.mapping.flag_words_for", "data.mapping.identifier_columns",
        "data.mapping.mapped_columns", "data.mapping.mapping_fingerprint",
    ],
    "wording and argument checks for reports and other functions": [
        "analysis.cohorts.describe_cohorts", "analysis.covariates.reference_phrase",
        "analysis.outcomes.check_outcome",
    ],
    "the rms-export style of to_export, write_export and export_mapping(_yaml)": [
        "data.synthetic.export_styles.rms_export_mapping",
        "data.synthetic.export_styles.rms_export_mapping_yaml",
        "data.synthetic.export_styles.to_rms_export",
        "data.synthetic.export_styles.write_rms_export",
    ],
}
EXCLUDED = {path for paths in NOT_AT_THE_TOP.values() for path in paths}

#: Public modules that have no ``__all__`` yet, and the functions of each that users call.
WITHOUT_ALL = {
    "analysis.timeline": ["time_to_outcome", "event_codes", "financial_year",
                          "financial_year_bounds"],
    "data.mapping_assistant": ["suggest_mapping", "check_mapping"],
    "data.dictionary": ["load_dictionary"],
}

#: Top-level functions whose docstring has no example yet (none now; a new public function
#: without one may be listed here, strict xfail, until its example is written).
NO_EXAMPLE_YET: set[str] = set()

BASICS = ["__version__", "SAMPLE_CASES", "get_settings", "API", "SoteriaError",
          "DataValidationError", "MappingError", "ParameterError", "ModelError", "KeyFileError",
          "DisclosureError"]


def _short(obj) -> str:
    return f"{obj.__module__.removeprefix('soteria_research.')}.{obj.__name__}"


def _public_functions():
    """(module, name, function) for each function in an analysis or data module's public
    list: its ``__all__``, or :data:`WITHOUT_ALL`."""
    import soteria_research.analysis
    import soteria_research.data

    found = []
    for package in (soteria_research.analysis, soteria_research.data):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            module = importlib.import_module(info.name)
            short = info.name.removeprefix("soteria_research.")
            names = getattr(module, "__all__", None) or WITHOUT_ALL.get(short, [])
            for name in names:
                value = getattr(module, name)
                if inspect.isfunction(inspect.unwrap(value)):
                    found.append((short, name, value))
    return found


def _has_example(obj) -> bool:
    doc = inspect.getdoc(obj) or ""
    return "Examples\n--------" in doc and ">>> " in doc


def _documentation_cases() -> list:
    no_example = pytest.mark.xfail(strict=True, reason="no example in its docstring yet")
    return [pytest.param(name, marks=[no_example] if name in NO_EXAMPLE_YET else [], id=name)
            for name in sr.__all__]


@pytest.mark.parametrize("name", _documentation_cases())
def test_every_public_name_resolves_and_is_documented(name):
    value = getattr(sr, name)
    if inspect.isclass(value):
        assert inspect.getdoc(value), f"sr.{name} has no docstring"
    elif callable(value):
        assert _has_example(value), f"sr.{name}: its docstring needs an Examples section"
    else:  # a constant: the README says what it is (test_the_readme_lists_every_public_name)
        assert name in BASICS


def test_every_public_function_of_the_analysis_and_data_layers_is_at_the_top_level():
    missing, shadowed = [], []
    for module, name, function in _public_functions():
        home = _short(inspect.unwrap(function))
        if home in EXCLUDED or f"{module}.{name}" in EXCLUDED:
            continue
        if name not in sr.__all__:
            missing.append(f"{module}.{name}")
        elif getattr(sr, name) is not function:
            shadowed.append(f"{module}.{name} (sr.{name} is {_short(getattr(sr, name))})")
    assert not missing, ("add to soteria_research.API (and the README's API table), or to "
                         f"NOT_AT_THE_TOP with the reason: {missing}")
    assert not shadowed, f"two functions of one name; rename one or exclude it: {shadowed}"


def test_the_exclusion_list_names_real_functions_that_are_not_at_the_top_level():
    known = {f"{module}.{name}" for module, name, _ in _public_functions()}
    known |= {_short(inspect.unwrap(function)) for _, _, function in _public_functions()}
    assert EXCLUDED <= known, EXCLUDED - known
    for path in EXCLUDED:
        name = path.rpartition(".")[2]
        if name in sr.__all__:
            assert _short(inspect.unwrap(getattr(sr, name))) != path, f"{path} is at the top"


def test_all_and_dir_agree_and_nothing_is_listed_twice():
    assert len(sr.__all__) == len(set(sr.__all__))
    listed = set(dir(sr))
    assert set(sr.__all__) <= listed
    extra = {name for name in listed - set(sr.__all__) if not name.startswith("__")}
    assert extra <= {"analysis", "data", "reporting", "cli", "errors", "settings"}, extra
    assert [n for names in sr.API.values() for n in names] == sr.__all__[len(BASICS):]
    assert sr.__all__[:len(BASICS)] == BASICS
    with pytest.raises(AttributeError, match="no attribute 'no_such_function'"):
        sr.no_such_function  # noqa: B018


def _readme_api_section() -> dict[str, list[str]]:
    """The README's "The API": task heading -> names in the first column of its table."""
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("\n## The API\n")
    end = text.index("\n## ", start + 1)
    tasks: dict[str, list[str]] = {}
    heading = None
    for line in text[start:end].splitlines():
        if line.startswith("### "):
            heading = line[4:].strip()
            tasks[heading] = []
        elif heading and line.startswith("| `"):
            first_cell = line.split(" | ")[0]
            tasks[heading].extend(re.findall(r"`([A-Za-z_][A-Za-z0-9_]*)`", first_cell))
    return tasks


def test_the_readme_lists_every_public_name_under_its_task():
    readme = _readme_api_section()
    assert list(readme) == ["Basics", *sr.API], "the README's headings are the tasks of sr.API"
    assert sorted(readme.pop("Basics")) == sorted(BASICS)
    for task, names in sr.API.items():
        assert readme[task] == list(names), f"README 'The API', {task}: out of step with sr.API"


def test_the_readme_keeps_its_two_commands_first_and_the_api_after_the_first_session():
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line.partition("#")[0].strip() for line in text.splitlines()[2:6]]
    assert commands == ["```bash", "make reports", "make test", "```"]
    assert text.index("## A first session") < text.index("## The API")


def test_importing_the_package_loads_no_analysis_library():
    code = ("import sys, soteria_research as sr; "
            "print(sorted(m for m in ('pandas', 'numpy', 'scipy', 'statsmodels', 'papermill', "
            "'matplotlib', 'soteria_research.analysis', 'soteria_research.data.ingest') "
            "if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True, cwd=PROJECT_ROOT).stdout.strip()
    assert loaded == "[]"


def test_the_first_session_in_the_readme_runs(tmp_path, monkeypatch):
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## A first session"):text.index("## The API")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 3
    (tmp_path / "synthetic_data").symlink_to(PROJECT_ROOT / "synthetic_data")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["report"].n_quarantined > 0  # the export's bad rows were set aside
    assert (tmp_path / "quarantine.csv").exists()

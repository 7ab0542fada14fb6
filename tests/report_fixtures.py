"""Set-up shared by the report and notebook tests: a Jupyter kernel for this interpreter and
small synthetic case data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

TEST_KERNEL = "soteria-test"
FORCES = ("durham", "cumbria", "city_of_london")


def kernel_for_tests(folder: Path) -> str:
    """A kernel name that runs this interpreter: ``SOTERIA_KERNEL`` when set and installed,
    otherwise a kernel spec installed for ``sys.executable`` under ``folder`` (JUPYTER_PATH is
    pointed there, so nothing outside the test folder changes)."""
    wanted = os.environ.get("SOTERIA_KERNEL")
    if wanted:
        try:
            KernelSpecManager().get_kernel_spec(wanted)
            return wanted
        except NoSuchKernel:
            pass
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(folder), "--name",
         TEST_KERNEL, "--display-name", "soteria tests"],
        check=True, capture_output=True,
    )
    share = str(folder / "share" / "jupyter")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [share, *filter(None, [os.environ.get("JUPYTER_PATH")])])
    return TEST_KERNEL


def small_cases(path: Path, *, seed: int = 11, scale: float = 0.1) -> Path:
    """Three forces of synthetic cases (City of London tiny), written as CSV."""
    from soteria_research.data.synthetic import generate_cases

    cases = generate_cases(forces=list(FORCES), scale=scale, seed=seed)
    cases.to_csv(path, index=False)
    return path

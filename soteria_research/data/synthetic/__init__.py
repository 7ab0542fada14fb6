"""Calibrated synthetic RASSO case data for all 43 forces, with a documented ground truth.

``config`` holds every number (each a fact or a setting), ``simulate`` the world and its truth,
``export_styles`` files shaped like forces' own records-system exports.
"""

from __future__ import annotations

from .config import CAUSES, SyntheticConfig
from .export_styles import (
    RmsExport,
    rms_export_mapping,
    rms_export_mapping_yaml,
    to_rms_export,
    write_rms_export,
)
from .simulate import (
    CALIBRATION_TARGETS,
    Simulation,
    baseline_cumulative_hazard,
    calibration_table,
    covariate_names,
    generate_cases,
    ground_truth,
    model_covariates,
    simulate,
    write_cases,
)

__all__ = [
    "CALIBRATION_TARGETS",
    "CAUSES",
    "RmsExport",
    "Simulation",
    "SyntheticConfig",
    "baseline_cumulative_hazard",
    "calibration_table",
    "covariate_names",
    "generate_cases",
    "ground_truth",
    "model_covariates",
    "rms_export_mapping",
    "rms_export_mapping_yaml",
    "simulate",
    "to_rms_export",
    "write_cases",
    "write_rms_export",
]


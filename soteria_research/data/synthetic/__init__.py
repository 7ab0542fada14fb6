"""Calibrated synthetic RASSO case data for all 43 forces, with a documented ground truth.

``config`` holds every number (each a fact or a setting), ``simulate`` the world and its truth,
``export_styles`` files shaped like forces' own records-system exports.
"""

from __future__ import annotations

from .config import CAUSES, SyntheticConfig
from .export_styles import (
    EXPORT_STYLES,
    ExportStyle,
    RmsExport,
    StyledExport,
    export_mapping,
    export_mapping_yaml,
    export_style,
    rms_export_mapping,
    rms_export_mapping_yaml,
    to_export,
    to_rms_export,
    write_export,
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
    "EXPORT_STYLES",
    "ExportStyle",
    "RmsExport",
    "StyledExport",
    "Simulation",
    "SyntheticConfig",
    "baseline_cumulative_hazard",
    "calibration_table",
    "covariate_names",
    "export_mapping",
    "export_mapping_yaml",
    "export_style",
    "generate_cases",
    "ground_truth",
    "model_covariates",
    "rms_export_mapping",
    "rms_export_mapping_yaml",
    "simulate",
    "to_export",
    "to_rms_export",
    "write_cases",
    "write_export",
    "write_rms_export",
]


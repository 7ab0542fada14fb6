"""Synthetic RASSO case data for all 43 forces, with a documented ground truth.

``config`` holds every number (each a fact or a setting); ``world`` the forces, volumes and the
programme's dates; ``crimes`` and ``people`` the victims, suspects and officers; ``course`` the
investigation as a multistate process; ``simulate`` the extract; ``truth`` what the data
should show (hazard ratios, outcome probabilities, programme, force and device effects);
``calibration`` the national targets; ``export_styles`` files shaped like forces' own exports.
"""

from __future__ import annotations

from .calibration import CALIBRATION_TARGETS, calibration_table
from .config import CASE_MIX, CAUSES, STAGES, TRANSITIONS, SyntheticConfig
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
    Simulation,
    World,
    covariate_names,
    draw_world,
    generate_cases,
    model_covariates,
    observe,
    run_course,
    simulate,
    write_cases,
)
from .truth import GroundTruth, baseline_cumulative_hazard, ground_truth

__all__ = [
    "CALIBRATION_TARGETS",
    "CASE_MIX",
    "CAUSES",
    "EXPORT_STYLES",
    "ExportStyle",
    "STAGES",
    "TRANSITIONS",
    "GroundTruth",
    "RmsExport",
    "StyledExport",
    "Simulation",
    "SyntheticConfig",
    "World",
    "baseline_cumulative_hazard",
    "calibration_table",
    "covariate_names",
    "export_mapping",
    "export_mapping_yaml",
    "export_style",
    "draw_world",
    "generate_cases",
    "ground_truth",
    "model_covariates",
    "observe",
    "rms_export_mapping",
    "rms_export_mapping_yaml",
    "run_course",
    "simulate",
    "to_export",
    "to_rms_export",
    "write_cases",
    "write_export",
    "write_rms_export",
]

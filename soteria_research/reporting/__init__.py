"""The reporting layer: disclosure control, figures, papermill report runs, HTML and provenance."""

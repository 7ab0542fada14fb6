"""The analysis layer: pure functions from validated ``cases`` to tidy DataFrames.

No plotting, no file I/O and no disclosure control here; reporting does those.
"""

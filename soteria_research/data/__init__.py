"""The data layer: the dictionary, reading and validating extracts, pseudonymising, synthetic data.

It knows the data dictionary and imports nothing from analysis or reporting.
"""

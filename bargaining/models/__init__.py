"""Theory: bargaining solutions, mechanisms, type distributions, and each model's likelihood or moments.

This package imports nothing from :mod:`bargaining.estimate` or :mod:`bargaining.data`.
"""

"""Estimation: generic fitting engines, results objects, inference and Monte Carlo recovery."""

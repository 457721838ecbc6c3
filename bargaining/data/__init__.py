"""Data: schemas and validation, CSV/Parquet loading, simulators and bundled example data sets."""

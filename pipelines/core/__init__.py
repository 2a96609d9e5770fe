"""Functional core: plain-Python text work, no Dagster import anywhere below this package."""

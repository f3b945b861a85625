"""Deterministic demo data for a fictional county's 大调解 portal."""

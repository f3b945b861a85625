"""The dispute ledger: case list, case pages and workflow steps, answer filters, zero reports."""

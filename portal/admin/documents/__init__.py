"""Issued documents: print buttons, the issue log and batch print jobs."""

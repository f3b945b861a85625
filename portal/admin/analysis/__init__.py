"""分析研判: the period report with the analyst's notes and the 情况通报, and the 司法部 statistics table."""

from portal.admin.analysis.reports import AnalysisView
from portal.admin.analysis.table import DisputeTableView

__all__ = ["AnalysisView", "DisputeTableView"]

"""优秀案例库: the library read across the county, and the proposal and review pages."""

from portal.admin.library.views import ExcellentCaseView, LibraryView, case_library_block

__all__ = ["ExcellentCaseView", "LibraryView", "case_library_block"]

"""数据导入: the page to download templates, upload an xlsx, read its dry-run report and confirm."""

"""Error pages in Chinese."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回后重试。"),
    403: ("无权访问", "您的角色或所属组织无权访问此页面。如需权限，请联系管理员。"),
    404: ("未找到", "您要查看的记录不存在，或不在您所属组织的管辖范围内。"),
    429: ("操作过于频繁", "请稍后再试。"),
    500: ("系统错误", "系统处理时出错，已记录。请稍后再试或联系管理员。"),
}


def register_error_handlers(app: Flask) -> None:
    """Render every HTTP error with the portal's own page."""

    def render(code: int, detail: str | None = None):
        title, text = MESSAGES.get(code, ("出错了", "请返回后重试。"))
        return render_template("errors/error.html", code=code, title=title, text=detail or text), code

    for code in MESSAGES:
        app.register_error_handler(code, lambda exc, code=code: render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render(400, "页面已过期或表单校验失败（CSRF），请刷新页面后重新提交。")

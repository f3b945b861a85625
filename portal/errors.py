"""Error pages in Chinese, for every HTTP error the portal or werkzeug can raise.

The pages are rendered without the template context processors: those load the signed-in user from the
database, and an error page must render when the database is what failed. A database that does not
answer (restarting, failing over, a connection lost, no connection free in the pool) is a 503 with
Retry-After, not a 500; an error of a statement on a working connection stays a 500.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("请求无效", "提交的内容无法处理，请返回后重试。"),
    401: ("需要登录", "请先登录后再访问此页面。"),
    403: ("无权访问", "您的角色或所属组织无权访问此页面。如需权限，请联系管理员。"),
    404: ("未找到", "您要查看的记录不存在，或不在您所属组织的管辖范围内。"),
    405: ("操作方式不正确", "此页面不能以这种方式打开。请返回上一页，通过页面上的按钮进行操作。"),
    406: ("无法提供所需格式", "系统无法按您要求的格式提供此内容。"),
    408: ("请求超时", "等待您的浏览器发送内容的时间过长，请重试。"),
    409: ("操作冲突", "该记录已被他人修改，请刷新页面查看最新内容后重试。"),
    410: ("内容已不存在", "您要查看的内容已被永久移除。"),
    411: ("缺少内容长度", "浏览器提交时没有说明内容的长度，请重试。"),
    412: ("前提条件不满足", "该记录已发生变化，请刷新页面后重试。"),
    413: ("提交的内容过大", "上传的文件或填写的内容超过了允许的大小，请缩小后重试。"),
    414: ("网址过长", "网址太长，系统无法处理。请返回后减少筛选条件重试。"),
    415: ("格式不受支持", "提交的文件或数据格式不受支持，请检查后重试。"),
    416: ("请求范围无效", "请求的文件范围无效，请重新下载。"),
    417: ("无法满足请求", "系统无法满足浏览器提出的要求，请重试。"),
    418: ("无法处理的请求", "系统拒绝处理此请求。"),
    421: ("请求发错了服务器", "此请求不应由本服务器处理，请检查网址。"),
    422: ("内容无法处理", "提交的内容格式正确，但其中有无法处理的数据，请检查后重试。"),
    423: ("记录已锁定", "该记录已被锁定，暂时不能修改。"),
    424: ("前序操作失败", "此操作依赖的前一步没有成功，请重试。"),
    428: ("缺少前提条件", "为避免覆盖他人的修改，请刷新页面后重试。"),
    429: ("操作过于频繁", "请稍后再试。"),
    431: ("请求头过大", "浏览器发送的信息过多，请清除本网站的 Cookie 后重试。"),
    451: ("依法不予提供", "因法律原因，此内容不能提供。"),
    500: ("系统错误", "系统处理时出错，已记录。请稍后再试或联系管理员。"),
    501: ("功能未提供", "系统不支持此操作。"),
    502: ("网关错误", "前置服务器没有收到系统的正常应答，请稍后再试。"),
    503: ("服务暂不可用", "系统正在维护或繁忙，请稍后再试。"),
    504: ("网关超时", "系统应答超时，请稍后再试。"),
    505: ("协议版本不受支持", "浏览器使用的 HTTP 协议版本不受支持，请更换浏览器后重试。"),
}
FALLBACK = ("出错了", "请返回后重试。如问题持续，请联系管理员。")
# Headers an error keeps from werkzeug's own answer: what to allow instead, when to retry, and so on.
KEPT_HEADERS = {"allow", "retry-after", "www-authenticate", "content-range"}


#: Seconds a browser or client is told to wait before trying again while the database is unavailable.
RETRY_AFTER = 10
DATABASE_UNAVAILABLE = (
    "数据库暂时无法连接（可能正在重启或切换），请稍候片刻后刷新页面；"
    "刚才提交的内容请先确认是否已保存，未保存的再重新提交。"
)


def render_error(code: int, detail: str | None = None, headers: list[tuple[str, str]] | None = None):
    """Return the portal's error page for `code` (a Chinese title and explanation)."""
    title, text = MESSAGES.get(code, FALLBACK)
    template = current_app.jinja_env.get_template("errors/error.html")
    body = template.render(code=code, title=title, text=detail or text)
    return body, code, headers or []


def register_error_handlers(app: Flask) -> None:
    """Render every HTTP error with the portal's page; Flask hands unhandled exceptions over as a 500
    (InternalServerError) after logging them."""

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:  # redirects raised by routing pass through
            return exc
        kept = [(k, v) for k, v in exc.get_headers() if k.lower() in KEPT_HEADERS]
        return render_error(exc.code, headers=kept)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError):
        return render_error(400, "页面已过期或表单校验失败（CSRF），请刷新页面后重新提交。")

    @app.errorhandler(OperationalError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeoutError)
    def database_unavailable(exc: Exception):
        lost = not isinstance(exc, OperationalError) or exc.connection_invalidated or exc.statement is None
        if not lost:  # an error of a statement on a working connection: the 500 page, logged
            raise exc
        log.error("database unavailable: %s", exc, exc_info=exc)
        return render_error(503, DATABASE_UNAVAILABLE, [("Retry-After", str(RETRY_AFTER))])

"""Forms of the auth pages."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import EqualTo, InputRequired, Length

from portal.text import strip_control


def _one_line(value: str | None) -> str | None:
    """Drop control characters (a NUL typed into the name used to reach the database)."""
    return strip_control(value, multiline=False) if value else value


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField(
        "用户名", filters=[_one_line], validators=[InputRequired(message="请输入用户名"), Length(max=50)]
    )
    password = PasswordField("密码", validators=[InputRequired(message="请输入密码"), Length(max=200)])
    remember = BooleanField("在此电脑上保持登录")


class PasswordChangeForm(FlaskForm):
    """Current password and the new one twice."""

    current = PasswordField("当前密码", validators=[InputRequired(message="请输入当前密码")])
    new = PasswordField("新密码", validators=[InputRequired(message="请输入新密码"), Length(max=200)])
    confirm = PasswordField(
        "确认新密码",
        validators=[
            InputRequired(message="请再次输入新密码"),
            EqualTo("new", message="两次输入的新密码不一致"),
        ],
    )

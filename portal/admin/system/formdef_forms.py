"""The builder's WTForms: one field's properties, publishing, importing a file."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField, validators

from portal.admin.base import PortalForm
from portal.lowcode import builder, schema
from portal.validators import parse_decimal


class FieldForm(PortalForm):
    """The properties of one field, as an administrator sets them (no JSON)."""

    lock_version = HiddenField()
    key = StringField(
        "字段标识",
        [
            validators.Optional(),
            validators.Regexp(r"^[a-z][a-z0-9_]{0,39}$", message="小写字母开头，只含小写字母、数字和下划线"),
        ],
        description="可以留空，保存时自动生成；保存后不能再改。导出、筛选和公式中用它指代本字段",
    )
    label = StringField("标签", [validators.InputRequired("请填写标签"), validators.Length(max=100)])
    label2 = StringField(
        "第二语言标签",
        [validators.Optional(), validators.Length(max=100, message="第二语言标签不超过 100 个字符")],
        description="可不填；填写后在表单中显示在中文标签之后",
    )
    type = SelectField("类型", choices=list(schema.TYPES.items()))
    section = SelectField("所在分组", coerce=int, choices=[])
    required_mode = RadioField(
        "必填", choices=[("no", "否"), ("yes", "是"), ("expr", "满足条件时必填")], default="no"
    )
    required_expr = StringField("必填条件", [validators.Length(max=1000)])
    relevant_mode = RadioField(
        "显示",
        choices=[("always", "总是显示"), ("rules", "满足条件时显示"), ("expr", "按表达式（高级）")],
        default="always",
    )
    relevant_join = SelectField(
        "条件之间", choices=list(builder.JOINS.items()), default="and", validate_choice=False
    )
    options = TextAreaField(
        "选项", description="每行一个选项；可写成“值=显示文字”，只写文字时值与文字相同", render_kw={"rows": 5}
    )
    choices = SelectField("或使用选项列表", choices=[], validate_choice=False)
    min = StringField(
        "最小值", description="数字字段为数值，文本为字数，日期写 YYYY-MM-DD，重复组和多选为个数"
    )
    max = StringField("最大值")
    pattern = StringField(
        "格式（正则表达式）", [validators.Length(max=200)], description="如事故认定书编号的格式"
    )
    relevant = StringField(
        "显示条件", [validators.Length(max=1000)], description="满足条件时才显示本字段，如 ${injured} = true"
    )
    constraint = StringField(
        "校验条件", [validators.Length(max=1000)], description="“.”代表本字段的值，如 . <= ${claim_amount}"
    )
    constraint_message = StringField("校验不通过时的提示", [validators.Length(max=200)])
    calculate = StringField(
        "计算公式",
        [validators.Length(max=1000)],
        description="填写后本字段自动计算，如 ${claim_amount} - ${advanced_amount}",
    )
    default = StringField("默认值", [validators.Length(max=200)])
    help = TextAreaField("填写说明", [validators.Length(max=500)], render_kw={"rows": 2})

    def load(self, field: dict[str, Any], section: int) -> None:
        """Fill the form from a stored field."""
        self.key.data = field.get("key")
        self.label.data = field.get("label")
        self.label2.data = field.get("label2") or ""
        self.type.data = field.get("type")
        self.section.data = section
        required = field.get("required")
        self.required_mode.data = (
            "yes" if required is True else "expr" if isinstance(required, str) and required else "no"
        )
        self.required_expr.data = required if isinstance(required, str) else ""
        self.options.data = builder.options_to_text(field.get("options"))
        self.choices.data = field.get("choices") or ""
        for name in (
            "min",
            "max",
            "pattern",
            "relevant",
            "constraint",
            "constraint_message",
            "calculate",
            "default",
            "help",
        ):
            value = field.get(name)
            getattr(self, name).data = "" if value is None else str(value)

    def field(self, kind_of_bounds: str) -> dict[str, Any]:
        """Return the field's properties as stored; empty settings are left out."""
        data: dict[str, Any] = {
            "key": self.key.data,
            "label": self.label.data.strip(),
            "type": self.type.data,
        }
        if (self.label2.data or "").strip():
            data["label2"] = self.label2.data.strip()
        if self.required_mode.data == "yes":
            data["required"] = True
        elif self.required_mode.data == "expr" and (self.required_expr.data or "").strip():
            data["required"] = self.required_expr.data.strip()
        if self.type.data in schema.SELECTS:
            if (self.options.data or "").strip():
                data["options"] = builder.options_from_text(self.options.data)
            elif self.choices.data:
                data["choices"] = self.choices.data
        for name in ("min", "max"):
            text = (getattr(self, name).data or "").strip()
            if text:
                data[name] = _bound(text, kind_of_bounds)
        for name in ("pattern", "relevant", "constraint", "constraint_message", "calculate", "help"):
            text = (getattr(self, name).data or "").strip()
            if text:
                data[name] = text
        if (self.default.data or "").strip():
            data["default"] = self.default.data.strip()
        return data


def _bound(text: str, kind: str) -> Any:
    if kind in schema.DATES:
        return text
    number = parse_decimal(text)  # nan, inf and 1e400 are not bounds
    if number is None:
        return text  # lint reports it with the field's name
    return int(number) if number == number.to_integral_value() else float(number)


MAX_RULES = 20


def posted_rules(formdata: Any) -> list[builder.Rule]:
    """Read the condition rows the builder posts: rule-N-field, rule-N-op and rule-N-value (repeatable)."""
    rules = []
    for number in range(MAX_RULES):
        key = (formdata.get(f"rule-{number}-field") or "").strip()
        if key:
            rules.append(
                builder.Rule(
                    key,
                    (formdata.get(f"rule-{number}-op") or "").strip(),
                    [str(v) for v in formdata.getlist(f"rule-{number}-value")],
                )
            )
    return rules


class SectionConditionForm(PortalForm):
    """When a whole section is shown: always, when rows of conditions hold, or by an expression."""

    lock_version = HiddenField()
    relevant_mode = RadioField(
        "显示",
        choices=[("always", "总是显示"), ("rules", "满足条件时显示"), ("expr", "按表达式（高级）")],
        default="always",
    )
    relevant_join = SelectField(
        "条件之间", choices=list(builder.JOINS.items()), default="and", validate_choice=False
    )
    relevant = StringField("显示条件（表达式）", [validators.Length(max=1000)])


class ChoiceListForm(PortalForm):
    """A named choice list kept with the form, reusable by its select fields."""

    lock_version = HiddenField()
    name = StringField(
        "列表名称",
        [
            validators.InputRequired("请填写列表名称"),
            validators.Length(max=40, message="名称不超过 40 个字符"),
        ],
        description="如“责任划分”；单选、多选字段可选用",
    )
    options = TextAreaField(
        "选项",
        [validators.InputRequired("请至少填写一个选项"), validators.Length(max=10000)],
        description="每行一个选项；可写成“值=显示文字”；第二语言文字写在“|”之后，如“全部责任|Full”",
        render_kw={"rows": 8},
    )


class LanguageForm(PortalForm):
    """The form's second language (its labels are optional, per field and option)."""

    lock_version = HiddenField()
    language2 = StringField(
        "第二语言",
        [validators.Length(max=20, message="不超过 20 个字符")],
        render_kw={"placeholder": "如 English、藏文；留空为不使用"},
    )


class PublishForm(PortalForm):
    """Publish the draft as the next version."""

    lock_version = HiddenField()
    note = TextAreaField(
        "发布说明",
        [validators.Length(max=500)],
        render_kw={"rows": 2, "placeholder": "如：增加“保险公司”字段"},
    )


class SectionForm(PortalForm):
    """Add or rename a section."""

    lock_version = HiddenField()
    section = IntegerField(
        validators=[validators.Optional(), validators.NumberRange(0, 999, message="分组序号无效")]
    )
    title = StringField("分组标题", [validators.InputRequired("请填写分组标题"), validators.Length(max=50)])


class UploadForm(PortalForm):
    """Import a definition file (YAML or JSON) exported from this or another portal."""

    file = FileField(
        "表单文件",
        [
            FileRequired("请选择文件"),
            FileAllowed(["yaml", "yml", "json"], "只能导入 .yaml、.yml 或 .json 文件"),
        ],
    )
    publish = RadioField(
        "导入后", choices=[("draft", "只保存为草稿，检查后再发布"), ("publish", "立即发布")], default="draft"
    )

"""The demo's form builder at work: 民间借贷纠纷's next version, half built by the county's clerk.

The shipped form is published as version 1; its draft then gets a named choice list and two fields shown
only when 是否已部分还款 is 是, each edit a builder step, so `make run` shows the 表单设计器 with unpublished
changes, what they change, and 撤销 with the steps to take back.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.lowcode import builder, schema
from portal.models.formdef import FormDefinition
from portal.services import formdefs

FORM_KEY = "private_lending"
REPAY_METHODS = "cash=现金\nbank=银行转账\nmobile=微信、支付宝转账\ngoods=以物抵债"


def draft_in_progress(session: Session) -> bool:
    """Start version 2 of 民间借贷纠纷 in its draft (commits); False when the form is absent or edited."""
    definition = session.scalar(select(FormDefinition).where(FormDefinition.key == FORM_KEY))
    if definition is None or definition.draft_dirty or "repaid" in schema.fields_by_key(definition.draft):
        return False
    body = definition.draft
    steps = []
    body = builder.set_choice_list(body, "还款方式", builder.options_from_text(REPAY_METHODS))
    steps.append((body, "保存选项列表“还款方式”"))
    body = builder.add_field(body, {"key": "repaid", "label": "是否已部分还款", "type": "boolean"})
    steps.append((body, "保存字段“是否已部分还款”"))
    shown = builder.condition_text(body, [builder.Rule("repaid", "eq", ["true"])])
    body = builder.add_field(
        body,
        {
            "key": "repaid_amount",
            "label": "已还款金额",
            "type": "money",
            "required": True,
            "relevant": shown,
            "constraint": ". <= ${loan_amount}",
            "constraint_message": "已还款金额不能超过借款本金",
        },
    )
    steps.append((body, "保存字段“已还款金额”"))
    body = builder.add_field(
        body,
        {
            "key": "repay_method",
            "label": "还款方式",
            "type": "select_one",
            "choices": "还款方式",
            "relevant": shown,
        },
    )
    steps.append((body, "保存字段“还款方式”"))
    for step_body, label in steps:
        formdefs.save_draft(session, definition, step_body, definition.version, step=label)
    return True

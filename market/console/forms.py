"""Reading HTML forms into the API's own request models, with bilingual errors.

Pages validate what a form sent with the same pydantic models the JSON API uses
(``PlanCreate``, ``AuthorizationUpdate`` ...), so a rule is never written twice; a
``ValidationError`` becomes a ``FormInvalid`` (400, both languages) that the console shows
like any service error. Prices are typed in major units (元) and converted exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, BeforeValidator, ValidationError

from billing.money import CURRENCIES, validate_currency
from ground.errors import BadRequest

Model = TypeVar("Model", bound=BaseModel)


class FormInvalid(BadRequest):
    """A form value the API's model refuses."""


def _blank_as_missing(value: object) -> object:
    return None if value == "" else value


# A GET form's "all" option sends an empty value (``?grade=&provider=``): for an optional
# filter of any type (an enum, a UUID) that means "no filter", not a validation error.
BlankIsNone = BeforeValidator(_blank_as_missing)


def validate_form(model: type[Model], data: dict[str, Any]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'form'}: {err['msg']}"
            for err in exc.errors()
        )
        raise FormInvalid(
            f"Please correct the form: {problems}", f"请修改表单：{problems}"
        ) from exc


def blank_to_none(data: dict[str, str]) -> dict[str, str | None]:
    """Empty inputs mean "not given" (the model's default), not an empty string."""
    return {k: (v if v.strip() else None) for k, v in data.items()}


def money_to_minor(text: str, currency: str, *, field: str = "price") -> int:
    """``"123.45"`` CNY -> 12345: exact decimal arithmetic; more decimals than the currency
    has minor units is refused rather than rounded (a price is what the provider typed)."""
    code = validate_currency(currency)
    exponent = CURRENCIES[code]
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation as exc:
        raise FormInvalid(
            f"{field}: {text!r} is not an amount.", f"{field}：{text!r} 不是有效金额。"
        ) from exc
    if not amount.is_finite():
        raise FormInvalid(
            f"{field}: {text!r} is not an amount.", f"{field}：{text!r} 不是有效金额。"
        )
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise FormInvalid(
            f"{field}: {code} amounts have at most {exponent} decimals.",
            f"{field}：{code} 金额最多 {exponent} 位小数。",
        )
    return int(minor)


async def form_fields(request: Request) -> dict[str, str]:
    """Every text field of a posted form, for forms whose field names depend on the data
    (one row per column); uploaded files are left to ``UploadFile`` parameters."""
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(form_fields)]

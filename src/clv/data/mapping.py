"""Which source column holds the customer id, the date, the amount, and the optional fields.

Column names are compared after lower-casing and removing spaces, underscores, dashes and dots, so ``Customer ID``,
``customer_id`` and ``CustomerID`` are one name. The UCI Online Retail and Online Retail II headers, the CDNOW
files and common generic names are recognised; an explicit mapping always wins.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from clv.errors import DataValidationError

# Canonical field -> recognised names, most specific first.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id",
        "customerid",
        "customer id",
        "customer",
        "client_id",
        "client",
        "user_id",
        "userid",
        "buyer_id",
        "member_id",
        "account_id",
        "cust_id",
        "customer_number",
        "customer_no",
        "id",
    ),
    "timestamp": (
        "invoicedate",
        "invoice_date",
        "order_date",
        "orderdate",
        "transaction_date",
        "purchase_date",
        "date",
        "datetime",
        "timestamp",
        "created_at",
        "order_time",
        "time",
        "day",
    ),
    "amount": (
        "amount",
        "revenue",
        "sales",
        "total",
        "value",
        "order_value",
        "order_total",
        "total_amount",
        "net_amount",
        "dollar_value",
        "spend",
        "price_total",
        "line_total",
        "monetary",
    ),
    "unit_price": ("unitprice", "unit_price", "price", "item_price", "unit_cost"),
    "quantity": ("quantity", "qty", "units", "number_of_cds", "count", "items"),
    "invoice_id": (
        "invoiceno",
        "invoice",
        "invoice_no",
        "invoice_id",
        "order_id",
        "orderid",
        "order",
        "transaction_id",
    ),
    "product_id": (
        "stockcode",
        "stock_code",
        "product_id",
        "productid",
        "product",
        "sku",
        "item_id",
        "article",
    ),
    "country": ("country", "country_code", "region", "market"),
}
MAPPABLE_FIELDS: tuple[str, ...] = tuple(FIELD_NAMES)
REQUIRED_FIELDS: tuple[str, ...] = ("customer_id", "timestamp")
HOW_TO_MAP = (
    "Rename the column, or map it: in the app with the column mapping on the Data page, on the command line with "
    "--map {field}=COLUMN, in Python with load_transactions(..., mapping={{'{field}': 'COLUMN'}})."
)


def normalise_name(name: object) -> str:
    """A column name without case, spaces, underscores, dashes or dots ("Customer ID" -> "customerid")."""
    return re.sub(r"[\s_\-.]+", "", str(name).strip().lower())


def detect_mapping(columns: Sequence[str], explicit: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map canonical fields to source columns: ``explicit`` entries first, then recognised names.

    Raises :class:`DataValidationError` naming the columns seen and the names tried when the customer id, the date,
    or both an amount and a quantity x unit price pair are missing, or when ``explicit`` names an unknown column.
    """
    explicit = {field: column for field, column in (explicit or {}).items() if column not in (None, "")}
    _check_explicit(columns, explicit)
    mapping = dict(explicit)
    taken = set(mapping.values())
    by_name = {normalise_name(column): column for column in reversed(list(columns))}
    for field, names in FIELD_NAMES.items():
        if field in mapping:
            continue
        for name in names:
            column = by_name.get(normalise_name(name))
            if column is not None and column not in taken:
                mapping[field] = column
                taken.add(column)
                break
    if "amount" not in mapping and "quantity" not in mapping and "unit_price" in mapping:
        mapping["amount"] = mapping.pop("unit_price")  # a lone price column is what each line cost
    _require(columns, mapping)
    return {field: mapping[field] for field in MAPPABLE_FIELDS if field in mapping}


def _check_explicit(columns: Sequence[str], explicit: Mapping[str, str]) -> None:
    unknown_fields = sorted(set(explicit) - set(MAPPABLE_FIELDS))
    if unknown_fields:
        raise DataValidationError(
            f"unknown field(s) in the column mapping: {', '.join(unknown_fields)}; "
            f"fields are: {', '.join(MAPPABLE_FIELDS)}"
        )
    missing = [f"{field} -> {column!r}" for field, column in explicit.items() if column not in columns]
    if missing:
        raise DataValidationError(
            f"the column mapping names column(s) the file does not have: {', '.join(missing)}; "
            f"columns seen: {_listing(columns)}"
        )


def _require(columns: Sequence[str], mapping: Mapping[str, str]) -> None:
    for field in REQUIRED_FIELDS:
        if field not in mapping:
            label = "customer id" if field == "customer_id" else "date"
            raise DataValidationError(
                f"no {label} column found; columns seen: {_listing(columns)}; "
                f"names tried: {', '.join(FIELD_NAMES[field])}. {HOW_TO_MAP.format(field=field)}"
            )
    if "amount" not in mapping and not {"quantity", "unit_price"} <= set(mapping):
        raise DataValidationError(
            f"no amount column found, and no quantity and unit price pair to compute it; columns seen: "
            f"{_listing(columns)}; names tried for the amount: {', '.join(FIELD_NAMES['amount'])}; for the unit "
            f"price: {', '.join(FIELD_NAMES['unit_price'])}. {HOW_TO_MAP.format(field='amount')}"
        )


def _listing(columns: Sequence[str]) -> str:
    shown = [repr(str(column)) for column in list(columns)[:30]]
    more = f" (and {len(columns) - 30} more)" if len(columns) > 30 else ""
    return ", ".join(shown) + more

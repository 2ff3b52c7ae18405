"""MkDocs hook: the docstrings' Sphinx roles and literal-block markers, shown as plain code in the API reference.

Docstrings in ``src/clv`` use reStructuredText roles (``:class:`~clv.data.Transactions```, ``:func:``, ``:meth:``,
``:attr:``, ``:mod:``) and end a paragraph with ``::`` before a literal block. Markdown keeps both as text; this hook
drops the role names (a leading ``~`` keeps only the last name, as Sphinx shows it) and turns a closing ``::`` into
``:``, so the pages read as the docstrings mean.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|attr|mod|data|exc|obj|const):<code>(~?)([^<]*)</code>")
LITERAL_MARKER = re.compile(r"::(</p>)")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2)
    return f"<code>{target.rsplit('.', 1)[-1] if tilde else target}</code>"


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    return LITERAL_MARKER.sub(r":\1", ROLE.sub(_role, html))

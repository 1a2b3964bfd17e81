"""Stand-ins for mypyc's class marks when mypy (and so mypy_extensions) is not installed.

Without mypy nothing is compiled, and for interpreted classes the marks mean nothing: the
decorator returns the class unchanged. With mypy installed the real ``mypyc_attr`` is used.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

T = TypeVar("T")


def mypyc_attr(*attrs: str, **kwattrs: Any) -> Callable[[T], T]:
    def mark(cls: T) -> T:
        return cls

    return mark

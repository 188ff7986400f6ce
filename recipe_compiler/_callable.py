"""A module that can be called as the function it is named for.

The public API (`recipe_compiler.lint(...)`, `.rescale(...)`, `.compile(...)`,
`.preview(...)`) has the names of the modules that hold those functions, and Python
sets a package's attribute to the submodule whenever it is imported. So instead of
an attribute that is sometimes the function and sometimes the module (by import
order), the module itself is callable: `recipe_compiler.rescale(recipe, 300)` and
`recipe_compiler.rescale.RescaleError` both work, whatever was imported first.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Calling the module `module_name` calls `function`."""

    class CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

    CallableModule.__call__.__doc__ = function.__doc__
    sys.modules[module_name].__class__ = CallableModule

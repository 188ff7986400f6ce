"""`python -m recipe_compiler.cli`."""

from . import run

run()

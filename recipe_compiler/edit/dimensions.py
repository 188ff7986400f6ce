"""Which numbers of a recipe are in epochs, inferred from how expressions use them.

Rescaling multiplies every number that is *in epochs* and no other. For a field
written as `eval(num_epochs - target * num_quantization_epochs)`, `num_epochs` and
`num_quantization_epochs` are epochs but `target` is a fraction: scaling all three
would move the field by the square of the factor. Each expression gives linear
equations over the dimensions of the literal numbers it is built from (sums need
equal dimensions, products add them, quotients subtract them); epoch fields must
come out in epochs (1), other fields dimensionless (0). Propagation solves them.
"""

from __future__ import annotations

import ast
import dataclasses

# a linear form: root id -> coefficient, plus a constant
Form = tuple[dict[int, int], int]


class DimensionError(ValueError):
    """The dimensions cannot be told apart, or contradict each other."""


@dataclasses.dataclass
class Equations:
    rows: list[tuple[Form, int, str]] = dataclasses.field(default_factory=list)

    def add(self, form: Form, value: int, why: str) -> None:
        if form[0]:
            self.rows.append((form, value, why))

    def equal(self, a: Form, b: Form, why: str) -> None:
        coeffs = dict(a[0])
        for k, c in b[0].items():
            coeffs[k] = coeffs.get(k, 0) - c
        self.add(({k: c for k, c in coeffs.items() if c}, a[1] - b[1]), 0, why)

    def solve(self, known: dict[int, int]) -> dict[int, int]:
        """Propagate until every equation is solved or stuck; returns the dims."""
        dims = dict(known)
        changed = True
        while changed:
            changed = False
            for (coeffs, const), value, why in self.rows:
                unknown = [k for k in coeffs if k not in dims]
                total = const + sum(c * dims[k] for k, c in coeffs.items() if k in dims)
                if not unknown:
                    if total != value:
                        raise DimensionError(why)
                    continue
                if len(unknown) == 1:
                    k = unknown[0]
                    d, r = divmod(value - total, coeffs[k])
                    if r or d not in (0, 1):
                        raise DimensionError(why)
                    dims[k] = d
                    changed = True
        return dims


def form_of(
    tree: ast.AST, leaf: dict[str, Form], eqs: Equations, why: str
) -> Form | None:
    """The dimension of an expression as a linear form; None for plain constants."""
    if isinstance(tree, ast.Expression):
        return form_of(tree.body, leaf, eqs, why)
    if isinstance(tree, ast.Constant):
        return None
    if isinstance(tree, ast.Name):
        return leaf.get(tree.id)
    if isinstance(tree, ast.UnaryOp):
        return form_of(tree.operand, leaf, eqs, why)
    if isinstance(tree, ast.BinOp):
        a = form_of(tree.left, leaf, eqs, why)
        b = form_of(tree.right, leaf, eqs, why)
        if isinstance(tree.op, ast.Add | ast.Sub | ast.Mod):
            if a is not None and b is not None:
                eqs.equal(a, b, why)
            return a if a is not None else b
        if isinstance(tree.op, ast.Mult):
            return _combine(a, b, 1)
        if isinstance(tree.op, ast.Div | ast.FloorDiv):
            return _combine(a, b, -1)
        if isinstance(tree.op, ast.Pow):
            if a is None and b is None:
                return None
            raise DimensionError(why + ": a power of a variable")
    if isinstance(tree, ast.Call):
        args = [form_of(x, leaf, eqs, why) for x in tree.args]
        forms = [f for f in args if f is not None]
        for f in forms[1:]:
            eqs.equal(forms[0], f, why)
        return forms[0] if forms else None
    raise DimensionError(why)


def _combine(a: Form | None, b: Form | None, sign: int) -> Form | None:
    if a is None and b is None:
        return None
    ca, ka = a if a is not None else ({}, 0)
    cb, kb = b if b is not None else ({}, 0)
    coeffs = dict(ca)
    for k, c in cb.items():
        coeffs[k] = coeffs.get(k, 0) + sign * c
    return {k: c for k, c in coeffs.items() if c}, ka + sign * kb

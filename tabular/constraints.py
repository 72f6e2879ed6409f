"""Constraints every sampled row meets: what the user declares (this module) and how it is kept.

- :class:`Inequality` — ``low <= high`` (or ``<``) between two numeric or two datetime columns;
- :class:`Range` — a column's values inside ``[low, high]`` (numbers, or dates for datetime columns);
  :func:`positive` is ``Range(column, low=0, strict=True)``;
- :class:`FixedCombinations` — the values of several discrete columns only in combinations the
  training rows hold;
- :class:`Predicate` — any row condition: an ``expression`` over the columns
  (``"age >= 18 or retired == 'no'"``, saved with the synthesizer) or a Python ``function`` of the
  frame returning one boolean per row (not saved: give it again to ``Synthesizer.load``).

A missing value satisfies an inequality or a range (there is nothing to compare). How each one is
kept (``tabular.encoding.table``): an inequality between two columns of one numeric kind is a
reversible transform — the model learns ``high - low`` — and every constraint is also checked on
every generated row, in the graph where it can be (so exported models keep it) and in Python for
functions and expressions; rows that fail are dropped and drawn again, never repaired.

Example:
    >>> from tabular.constraints import Inequality, FixedCombinations, Predicate, positive
    >>> meta.constraints += [Inequality("c_jail_in", "c_jail_out"), positive("priors_count"),
    ...                      FixedCombinations(("city", "country")), Predicate("age >= 18")]
"""

from __future__ import annotations

import ast
import dataclasses
import operator
from typing import Callable, ClassVar

import numpy as np
import pandas as pd

from genlab.errors import ConfigError, InvalidValueError, SavedStateError


@dataclasses.dataclass(frozen=True)
class Inequality:
    """``low <= high`` (``low < high`` when ``strict``) wherever both values are present."""

    low: str
    high: str
    strict: bool = False
    type: ClassVar[str] = "inequality"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.low, self.high)

    def describe(self) -> str:
        return f"{self.low} {'<' if self.strict else '<='} {self.high}"


@dataclasses.dataclass(frozen=True)
class Range:
    """``low <= column <= high`` (strict: ``<``); ``None`` leaves an end open. Datetime columns take
    dates (``"2013-01-01"``, ``pd.Timestamp``)."""

    column: str
    low: object = None
    high: object = None
    strict: bool = False
    type: ClassVar[str] = "range"

    def __post_init__(self):
        if self.low is None and self.high is None:
            raise ConfigError(f"Range on {self.column!r} has neither low nor high; give at least one bound")
        for name in ("low", "high"):
            value = getattr(self, name)
            if isinstance(value, (pd.Timestamp, np.datetime64)) or hasattr(value, "isoformat"):
                object.__setattr__(self, name, str(pd.Timestamp(value)))

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def describe(self) -> str:
        op = "<" if self.strict else "<="
        return " ".join(p for p in (f"{self.low} {op}" if self.low is not None else "", self.column,
                                    f"{op} {self.high}" if self.high is not None else "") if p)


def positive(column: str, strict: bool = True) -> Range:
    """``column > 0`` (``>= 0`` with ``strict=False``)."""
    return Range(column, low=0, strict=strict)


@dataclasses.dataclass(frozen=True)
class FixedCombinations:
    """The values of ``columns`` (discrete) appear only in combinations the training rows hold."""

    columns: tuple
    type: ClassVar[str] = "fixed_combinations"

    def __post_init__(self):
        object.__setattr__(self, "columns", tuple(self.columns))
        if len(self.columns) < 2 or len(set(self.columns)) != len(self.columns):
            raise ConfigError(f"FixedCombinations needs two or more distinct columns, received {list(self.columns)}")

    def describe(self) -> str:
        return f"fixed combinations of {', '.join(self.columns)}"


@dataclasses.dataclass(frozen=True)
class Predicate:
    """A row condition: a safe ``expression`` over the columns, or a Python ``function(frame) -> bools``.

    Expressions use column names (backquoted when not identifiers: ```c-x` > 0``), numbers,
    strings, ``and`` / ``or`` / ``not``, comparisons (chained too), ``in [...]``, arithmetic, and
    ``missing(column)``; datetime columns compare with date strings. Nothing else is evaluated
    (no attribute, call or import), so a saved expression is safe to load.

    Args:
        expression: The expression (saved with the synthesizer).
        function: A Python function of the sampled frame (columns in the output schema, identifiers
            and fakes not yet filled) returning one boolean per row; not saved: pass
            ``predicates={name: function}`` to ``Synthesizer.load``.
        name: Name of a function predicate (default: the function's ``__name__``).
    """

    expression: str | None = None
    function: Callable | None = dataclasses.field(default=None, compare=False)
    name: str | None = None
    type: ClassVar[str] = "predicate"

    def __post_init__(self):
        if (self.expression is None) == (self.function is None):
            raise ConfigError("Predicate takes exactly one of expression= (a string) or function= (a callable)")
        if self.function is not None:
            if not callable(self.function):
                raise ConfigError(f"Predicate function must be callable, received {type(self.function).__name__}")
            object.__setattr__(self, "name", self.name or getattr(self.function, "__name__", "predicate"))
        else:
            object.__setattr__(self, "name", self.name or self.expression)
            parse_expression(self.expression)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(sorted(expression_columns(self.expression))) if self.expression is not None else ()

    def describe(self) -> str:
        return self.expression if self.expression is not None else f"{self.name}(rows)"

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """One boolean per row of ``frame``."""
        if self.function is not None:
            out = np.asarray(self.function(frame))
            if out.shape != (len(frame),) or out.dtype != bool:
                raise InvalidValueError(f"predicate {self.name!r} returned {out.dtype} of shape {out.shape}; it must "
                                        f"return one bool per row ({len(frame)} rows)")
            return out
        return evaluate_expression(self.expression, frame)


CONSTRAINTS = {c.type: c for c in (Inequality, Range, FixedCombinations, Predicate)}


def constraint_to_json(constraint) -> dict:
    """A constraint as plain JSON (a function predicate keeps only its name)."""
    body = {f.name: getattr(constraint, f.name) for f in dataclasses.fields(constraint) if f.name != "function"}
    if isinstance(constraint, FixedCombinations):
        body["columns"] = list(constraint.columns)
    if isinstance(constraint, Predicate) and constraint.function is not None:
        body["function"] = True
    return {"type": constraint.type, **body}


def constraint_from_json(data: dict, predicates: dict | None = None):
    """Rebuild a constraint from :func:`constraint_to_json`; function predicates come from ``predicates``.

    Raises:
        SavedStateError: An unknown type, or a function predicate not given in ``predicates``.
    """
    data = dict(data)
    kind = data.pop("type", None)
    if kind not in CONSTRAINTS:
        raise SavedStateError(f"unknown constraint type {kind!r}; known: {sorted(CONSTRAINTS)}")
    if kind == "predicate" and data.pop("function", False):
        fn = (predicates or {}).get(data["name"])
        if fn is None:
            raise SavedStateError(f"the synthesizer has a Python predicate {data['name']!r}, which is not saved; "
                                  f"load it with predicates={{{data['name']!r}: the_function}}")
        return Predicate(function=fn, name=data["name"])
    return CONSTRAINTS[kind](**data)


def as_constraint(value):
    """A constraint object, or one rebuilt from its JSON dict."""
    if isinstance(value, tuple(CONSTRAINTS.values())):
        return value
    if isinstance(value, dict):
        return constraint_from_json(value)
    raise ConfigError(f"a constraint must be an Inequality, Range, FixedCombinations or Predicate (or its JSON "
                      f"dict), received {type(value).__name__}")


# ---------------------------------------------------------------------------------------------- expressions
_COMPARE = {ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
            ast.Eq: operator.eq, ast.NotEq: operator.ne}
_ARITH = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
          ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow}


def _prepare(expression: str) -> str:
    """Backquoted column names -> ``__col_<hex>`` identifiers."""
    parts = expression.split("`")
    if len(parts) % 2 == 0:
        raise ConfigError(f"predicate {expression!r} has an unmatched backquote")
    return "".join(p if i % 2 == 0 else "__col_" + p.encode().hex() for i, p in enumerate(parts))


def _name(node: ast.Name) -> str:
    return bytes.fromhex(node.id[6:]).decode() if node.id.startswith("__col_") else node.id


def parse_expression(expression: str) -> ast.Expression:
    """Parse a predicate and refuse anything but the allowed syntax.

    Raises:
        ConfigError: A syntax error or a construct that is not allowed.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise ConfigError(f"a predicate expression must be a non-empty string, received {expression!r}")
    try:
        tree = ast.parse(_prepare(expression).strip(), mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"predicate {expression!r} is not a valid expression ({exc.msg})") from exc
    allowed = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp,
               ast.Compare, ast.Name, ast.Load, ast.Constant, ast.List, ast.Tuple, ast.In, ast.NotIn,
               *_COMPARE, *_ARITH)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "missing" \
                and len(node.args) == 1 and isinstance(node.args[0], ast.Name) and not node.keywords:
            continue
        if isinstance(node, ast.Name) and node.id == "missing":
            continue
        if not isinstance(node, allowed):
            raise ConfigError(f"predicate {expression!r} uses {type(node).__name__}, which is not allowed; use column "
                              "names, constants, comparisons, and/or/not, arithmetic, 'in [...]' and missing(column)")
    return tree


def expression_columns(expression: str) -> set[str]:
    """Column names an expression reads."""
    return {_name(n) for n in ast.walk(parse_expression(expression))
            if isinstance(n, ast.Name) and n.id != "missing"}


def evaluate_expression(expression: str, frame: pd.DataFrame) -> np.ndarray:
    """One boolean per row of ``frame`` (a comparison with a missing value is False).

    Raises:
        InvalidValueError: A column the frame lacks.
    """
    tree = parse_expression(expression)

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple)):
            return [ev(e) for e in node.elts]
        if isinstance(node, ast.Name):
            col = _name(node)
            if col not in frame.columns:
                raise InvalidValueError(f"predicate {expression!r} names column {col!r}, which the rows lack (columns "
                                        f"{list(frame.columns)}); fix the name")
            return frame[col]
        if isinstance(node, ast.Call):
            return ev(node.args[0]).isna()
        if isinstance(node, ast.BoolOp):
            values = [_bools(ev(v), len(frame)) for v in node.values]
            out = values[0]
            for v in values[1:]:
                out = (out & v) if isinstance(node.op, ast.And) else (out | v)
            return out
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return ~_bools(value, len(frame)) if isinstance(node.op, ast.Not) else (
                -value if isinstance(node.op, ast.USub) else value)
        if isinstance(node, ast.BinOp):
            return _ARITH[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.Compare):
            out, left = np.ones(len(frame), bool), ev(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = ev(right_node)
                if isinstance(op, (ast.In, ast.NotIn)):
                    hit = pd.Series(left).isin(right).to_numpy()
                    step = hit if isinstance(op, ast.In) else ~hit
                else:
                    step = _bools(_COMPARE[type(op)](left, right), len(frame))
                out, left = out & step, right
            return out
        raise InvalidValueError(f"predicate {expression!r}: cannot evaluate {type(node).__name__}")

    return _bools(ev(tree), len(frame))


def _bools(value, n: int) -> np.ndarray:
    if isinstance(value, (bool, np.bool_)):
        return np.full(n, bool(value))
    series = pd.Series(value) if not isinstance(value, pd.Series) else value
    return series.fillna(False).astype(bool).to_numpy() if series.dtype != bool else series.to_numpy()

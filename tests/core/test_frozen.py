"""A Frozen class behaves as the frozen dataclass it replaces: the protocol, the plan and the
sheet compare, hash, print and refuse changes as before (mgdesk/core/frozen.py)."""

from __future__ import annotations

import dataclasses
from dataclasses import FrozenInstanceError, dataclass, field

import pytest

from mgdesk.core.frozen import Frozen


class Dose(Frozen):
    name: str
    amount: int
    route: str = "IV"
    sites: list[str] = field(default_factory=list, hash=False)
    notes: dict[str, str] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class DataclassDose:
    name: str
    amount: int
    route: str = "IV"
    sites: list[str] = field(default_factory=list, hash=False)
    notes: dict[str, str] = field(default_factory=dict, hash=False)


class Single(Frozen):
    value: float


@dataclass(frozen=True)
class DataclassSingle:
    value: float


def both(*args: object, **kwargs: object) -> tuple[Dose, DataclassDose]:
    return Dose(*args, **kwargs), DataclassDose(*args, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (("magnesium sulfate", 2), {}),
        (("magnesium sulfate", 2, "IM"), {}),
        (("magnesium sulfate",), {"amount": 4, "sites": ["left", "right"]}),
        ((), {"route": "PO", "amount": 1, "name": "magnesium oxide", "notes": {"a": "b"}}),
    ],
)
def test_arguments_defaults_and_repr_are_a_dataclass_s(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    mine, theirs = both(*args, **kwargs)
    assert repr(mine) == repr(theirs).replace("DataclassDose", "Dose")
    assert dataclasses.asdict(mine) == dataclasses.asdict(theirs)
    assert [f.name for f in dataclasses.fields(mine)] == [
        f.name for f in dataclasses.fields(theirs)
    ]
    assert vars(mine) == vars(theirs)


def test_equal_and_hashed_by_the_fields_a_dataclass_compares_and_hashes() -> None:
    first, theirs = both("magnesium sulfate", 2, notes={"given": "yes"})
    second = Dose("magnesium sulfate", 2, notes={"given": "no"})
    assert first != second  # notes are compared...
    assert hash(first) == hash(theirs)  # ...but not hashed, as dataclass does
    assert first == Dose("magnesium sulfate", 2, notes={"given": "yes"})
    assert first != Dose("magnesium sulfate", 3, notes={"given": "yes"})
    assert first != theirs  # another class is never equal, as between two dataclasses
    nan = float("nan")
    assert Single(nan) == Single(nan)  # the same object: equal, as dataclass tuples compare
    assert (Single(nan) == Single(float("nan"))) is (
        DataclassSingle(nan) == DataclassSingle(float("nan"))
    )
    assert hash(Single(2.5)) == hash(DataclassSingle(2.5))


def test_fields_cannot_be_assigned_or_deleted() -> None:
    dose = Dose("magnesium sulfate", 2)
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'amount'"):
        dose.amount = 4  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError, match="cannot assign to field 'extra'"):
        dose.extra = 1
    with pytest.raises(FrozenInstanceError, match="cannot delete field 'name'"):
        del dose.name
    assert dose.amount == 2


def test_replace_makes_a_new_value() -> None:
    dose = Dose("magnesium sulfate", 2, sites=["left"])
    changed = dataclasses.replace(dose, amount=4)
    assert changed == Dose("magnesium sulfate", 4, sites=["left"])
    assert dose.amount == 2


def test_default_factories_give_each_value_its_own() -> None:
    assert Dose("a", 1).sites is not Dose("a", 1).sites


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (("a",), {}, "missing the argument 'amount'"),
        (("a", 1, "IV", [], {}, "extra"), {}, "takes 5 arguments but 6 were given"),
        (("a", 1), {"dose": 2}, "unexpected argument 'dose'"),
        (("a", 1), {"name": "b"}, "got 'name' twice"),
    ],
)
def test_wrong_arguments_are_refused(
    args: tuple[object, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        Dose(*args, **kwargs)  # type: ignore[arg-type]


def test_a_class_that_dataclass_would_refuse_or_that_frozen_cannot_serve_is_refused() -> None:
    with pytest.raises(TypeError, match="without a default follows a default"):

        class Late(Frozen):
            first: int = 1
            second: int  # type: ignore[misc]  # mypy refuses it too

    with pytest.raises(TypeError, match="takes no init, repr, compare or kw_only"):

        class Hidden(Frozen):
            shown: int
            hidden: int = field(default=0, repr=False)

"""Frozen: the base of mgdesk's immutable value classes (the protocol, the plan, the sheet).

A subclass declares its fields as a frozen dataclass does (annotations, defaults,
dataclasses.field) and behaves as one: the same __init__ arguments, equality and hash by
field values (less fields declared hash=False), the same repr, FrozenInstanceError on
assignment; dataclasses.fields, replace and asdict work on it, and type checkers read it as a
frozen dataclass (dataclass_transform).

What differs is when the methods are made. dataclass (Python 3.11) writes each class's
__init__, __repr__, __eq__, __hash__, __setattr__ and __delattr__ as source text and compiles
them when the class's module is imported: about 0.4 ms a class, 14% of the instructions of
`mgdesk sheet` (benchmarks/sheet.py) for its 70 classes. Here they are written once, for every
subclass, and read the subclass's fields, collected once when it is defined. Making an
instance costs a few tenths of a microsecond more; printing a sheet makes a few hundred.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, dataclass, field, fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any, ClassVar, dataclass_transform


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Frozen:
    """Subclass to declare a frozen value class; see the module docstring."""

    __slots__ = ()
    if TYPE_CHECKING:  # declared for type checkers only, out of every subclass's type hints
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]
        _field_names: ClassVar[tuple[str, ...]]
        _field_values: ClassVar[Callable[[Any], tuple[Any, ...]]]
        _hashed_values: ClassVar[Callable[[Any], tuple[Any, ...]]]
        _default_values: ClassVar[dict[str, Any]]
        _default_factories: ClassVar[dict[str, Callable[[], Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The fields only: the methods are the ones below.
        dataclass(init=False, repr=False, eq=False)(cls)
        declared = fields(cls)
        if any(not (f.init and f.repr and f.compare) or f.kw_only is True for f in declared):
            raise TypeError(
                f"{cls.__name__}: a field of a Frozen class takes no init, repr, compare or kw_only"
            )
        names = tuple(f.name for f in declared)
        values = {f.name: f.default for f in declared if f.default is not MISSING}
        factories: dict[str, Callable[[], Any]] = {
            f.name: f.default_factory for f in declared if f.default_factory is not MISSING
        }
        first_default = next(
            (i for i, name in enumerate(names) if name in values or name in factories), len(names)
        )
        late = [name for name in names[first_default:] if name not in values | factories]
        if late:
            raise TypeError(f"{cls.__name__}: {late[0]!r} without a default follows a default")
        cls._field_names = names
        cls._field_values = _getter(names)
        # As dataclass hashes: the fields compared, less those declared hash=False.
        cls._hashed_values = _getter(tuple(f.name for f in declared if f.hash is not False))
        cls._default_values = values
        cls._default_factories = factories

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        names = self._field_names
        values = args
        if kwargs:
            try:  # the usual call: every field after args given once, by keyword
                values = (*args, *map(kwargs.__getitem__, names[len(args) :]))
            except KeyError:
                values = ()
        if len(values) != len(names) or len(args) + len(kwargs) != len(names):
            values = self._arguments(args, kwargs)
        # As dataclass sets them (object.__setattr__, field by field), in one step.
        self.__dict__.update(zip(names, values, strict=True))

    @classmethod
    def _arguments(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """Every field's value, in order, from the arguments and the defaults; TypeError for
        the arguments dataclass's __init__ refuses."""
        names = cls._field_names
        given = dict(cls._default_values)
        given.update(zip(names, args, strict=False))
        given.update(kwargs)
        for name, factory in cls._default_factories.items():
            if name not in given:
                given[name] = factory()
        try:
            values = tuple(map(given.__getitem__, names))
        except KeyError:
            values = ()
        if (
            len(values) != len(names)
            or len(given) != len(names)  # an argument that is not a field
            or len(args) > len(names)
            or not kwargs.keys().isdisjoint(names[: len(args)])
        ):
            raise TypeError(cls._argument_problem(args, kwargs))
        return values

    @classmethod
    def _argument_problem(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        names = cls._field_names
        if len(args) > len(names):
            return f"{cls.__name__}() takes {len(names)} arguments but {len(args)} were given"
        unknown = kwargs.keys() - set(names)
        if unknown:
            return f"{cls.__name__}() got an unexpected argument {min(unknown)!r}"
        twice = kwargs.keys() & set(names[: len(args)])
        if twice:
            return f"{cls.__name__}() got {min(twice)!r} twice"
        given = {*names[: len(args)], *kwargs, *cls._default_values, *cls._default_factories}
        missing = next(name for name in names if name not in given)
        return f"{cls.__name__}() is missing the argument {missing!r}"

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}" for name, value in self._items())
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            values = type(self)._field_values
            return values(self) == values(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(type(self)._hashed_values(self))

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def _items(self) -> zip[tuple[str, Any]]:
        return zip(self._field_names, type(self)._field_values(self), strict=True)


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The field values of an instance as a tuple (attrgetter of one name gives the bare
    value: a tuple is compared and hashed as dataclass compares and hashes)."""
    if len(names) == 1:
        only = attrgetter(names[0])
        return lambda instance: (only(instance),)
    getter: Callable[[Any], tuple[Any, ...]] = attrgetter(*names) if names else lambda _: ()
    return getter

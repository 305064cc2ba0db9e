"""The core's recent answers, so that an edit back to an earlier input is not evaluated again.

Evaluating is deterministic: the same case document, form problems and protocol give the
same assessment. Typing often returns to a value just seen (a digit typed and deleted, a
unit picked and picked back), so the last few answers are kept, per protocol.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mgdesk.core.errors import FieldError
    from mgdesk.gui.assessment import Assessment

KEPT = 128


class AssessmentCache:
    """Remembers the assessments of the last KEPT inputs; clear() when the protocol changes."""

    def __init__(self) -> None:
        self._answers: OrderedDict[str, Assessment] = OrderedDict()

    def get(
        self,
        document: Mapping[str, Any],
        problems: Sequence[FieldError],
        evaluate: Callable[[], Assessment],
    ) -> Assessment:
        """The assessment of this input: remembered, or evaluate()d and remembered."""
        # repr keeps types apart (Decimal('1.5') is not '1.5') and the form's key order is fixed.
        key = repr((document, tuple(problems)))
        answer = self._answers.get(key)
        if answer is None:
            answer = evaluate()
            self._answers[key] = answer
            if len(self._answers) > KEPT:
                self._answers.popitem(last=False)
        else:
            self._answers.move_to_end(key)
        return answer

    def clear(self) -> None:
        self._answers.clear()

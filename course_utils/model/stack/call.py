"""One entry of the registry of library calls: which callable, and every keyword the course
passes to it (or, for `attributes`, every attribute it reads or sets on it).

The call sites unpack `call.kwargs(...)`, which refuses a keyword the entry does not list, so
the registry cannot fall behind the code; `course_utils.model.stack.drift` checks the listed
names against the installed library.

What this leaves out: importing the library (the drift check does, on demand) and the values
passed (only the names can drift out from under the course).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class LibraryCall:
    """Lesson 00. A library callable the course calls and the keywords it passes to it.

    target: dotted path, e.g. "transformers.AutoModelForCausalLM.from_pretrained" (a class means
    its constructor). forwards_to: callables that receive the target's **kwargs (their keywords
    count as accepted). attributes_of: classes whose default instance's attributes count as
    accepted keywords (GenerationConfig for generate). attributes: names the course reads or sets
    on the target class or its instances. where: the course functions that make the call.
    """

    target: str
    keywords: tuple[str, ...] = ()
    where: str = ""
    forwards_to: tuple[str, ...] = ()
    attributes_of: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()

    @property
    def library(self) -> str:
        """The distribution the target belongs to (its top-level module)."""
        return self.target.split(".", 1)[0]

    def kwargs(self, values: Mapping) -> dict:
        """`values` as a dict, after checking every key is one of `keywords`."""
        unknown = [k for k in values if k not in self.keywords]
        if unknown:
            raise TypeError(
                f"{self.where or 'course_utils'} passes {', '.join(unknown)} to {self.target}, but "
                f"the registry lists only {', '.join(self.keywords)}: add the new keyword to this "
                f"call's LibraryCall in course_utils/model/stack/ (where the drift test checks it)")
        return dict(values)

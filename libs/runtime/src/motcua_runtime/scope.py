"""Which agencies an instance acts for, and so which agencies its key may sign for: one rule for
the consumer's routing, the officers' work queue, the gauges and the trust list.

An agency's own instance (APPRAISAL_AGENCY=STP) serves that agency alone. The shared instance
serves every agency *except* those with an instance of their own (APPRAISAL_EXCEPT_AGENCIES).
The shared scope is an exclusion, not a list of the agencies served, on purpose: an agency added
to the catalogue later is served by the shared instance, and signed for by its key, without
anyone editing the trust list; only giving an agency its own instance changes the scope."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, SQLColumnExpression, true


@dataclass(frozen=True)
class AgencyScope:
    agency: str | None = None  # an agency's own instance
    except_agencies: frozenset[str] = frozenset()  # the shared instance: all agencies but these

    def __post_init__(self) -> None:
        if self.agency is not None and self.except_agencies:
            raise ValueError(f"an instance of agency {self.agency} serves only that agency; "
                             f"it cannot also exclude {', '.join(sorted(self.except_agencies))}")

    @classmethod
    def shared(cls, except_agencies: Iterable[str] = ()) -> AgencyScope:
        return cls(None, frozenset(except_agencies))

    def serves(self, agency: str | None) -> bool:
        if self.agency is not None:
            return agency == self.agency
        return agency not in self.except_agencies

    def where(self, column: SQLColumnExpression[str]) -> ColumnElement[bool]:
        """The same rule as a SQL condition on an agency column."""
        if self.agency is not None:
            return column == self.agency
        if self.except_agencies:
            return column.not_in(sorted(self.except_agencies))
        return true()

    def covers(self, other: AgencyScope) -> bool:
        """Whether every agency `other` serves is served here (a key's scope must cover the
        scope of the instance signing with it)."""
        if other.agency is not None:
            return self.serves(other.agency)
        return self.agency is None and self.except_agencies <= other.except_agencies

    def __str__(self) -> str:
        if self.agency is not None:
            return f"agency {self.agency}"
        if self.except_agencies:
            return f"every agency but {', '.join(sorted(self.except_agencies))}"
        return "every agency"

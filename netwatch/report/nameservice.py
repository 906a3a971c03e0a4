"""The words for the dns outages a report does not claim from the provider.

Owns how a report and a letter name the name-service failures set apart (``Report.own_dns``): through the owner's
own router's resolver, through a public resolver of another company, or through a resolver netwatch did not
record. Must not decide which outages those are
(``netwatch.core.nameservice`` and ``report.compute`` do) nor compute their figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from netwatch.core.nameservice import Resolver
from netwatch.report.compute import IncidentFigures

OWN = "Name service failures through your own router's resolver: not claimed from the provider"
UNRECORDED = (
    "Name service failures through a resolver netwatch did not record (it may be your own router's): not claimed "
    "from the provider"
)


PUBLIC = (
    "Name service failures through a public resolver of another company (such as 1.1.1.1 or 8.8.8.8): not claimed "
    "from the provider"
)


def side(figures: Sequence[IncidentFigures]) -> str:
    """Whose resolvers ``figures`` (``Report.own_dns``) failed on, as one word for the templates: "unrecorded" when
    any was not recorded, else "public" when any was another company's, else "own"."""
    sides = {f.resolver for f in figures}
    if Resolver.UNRECORDED in sides or None in sides:
        return "unrecorded"
    return "public" if Resolver.PUBLIC in sides else "own"


def own_dns_words(figures: Sequence[IncidentFigures]) -> str:
    """The label of the dns outages ``figures`` (``Report.own_dns``) in the report."""
    return {"unrecorded": UNRECORDED, "public": PUBLIC}.get(side(figures), OWN)

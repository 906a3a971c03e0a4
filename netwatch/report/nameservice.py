"""The words for the dns outages a report does not claim from the provider.

Owns how a report and a letter name the name-service failures set apart (``Report.own_dns``): through the owner's
own router's resolver, or through a resolver netwatch did not record. Must not decide which outages those are
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


def unrecorded(figures: Sequence[IncidentFigures]) -> bool:
    """Some of ``figures`` are set apart only because their session did not record which resolvers it used."""
    return any(f.resolver is not Resolver.OWN for f in figures)


def own_dns_words(figures: Sequence[IncidentFigures]) -> str:
    """The label of the dns outages ``figures`` (``Report.own_dns``) in the report."""
    return UNRECORDED if unrecorded(figures) else OWN

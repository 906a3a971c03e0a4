"""Who a rule covers, said for the owner's situation: covered (with the legal basis the letter states), not covered
(nothing is claimed under it, and what applies instead is named), or covered only if what the configuration leaves
unstated is so (the amounts assume it, and the document says what they assume).

Owns ``Said`` (what one pass over a pack's rules says: notes for the report, advice for the owner, the letter's
sentences of legal basis), ``excluded`` (before a rule is applied) and ``used`` (after it gave something). The scope
itself is pack data (``loader.Scope``). Must not compute money or decide the scope in code: who a rule covers is the
pack's, what the owner is is the configuration's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netwatch.core.claims.loader import Pack
from netwatch.core.claims.model import CONTRACTS, CUSTOMERS, Situation

CUSTOMER_WORDS = {"consumer": "consumers", "micro_business": "micro-enterprises", "small_business": "small enterprises"}
CUSTOMER_ONE = {
    "consumer": "a consumer",
    "micro_business": "a micro-enterprise",
    "small_business": "a small enterprise",
}


@dataclass
class Said:
    """What the rules said while one pack was applied: ``notes`` (shown in documents), ``advice`` (for the owner
    only), ``basis`` (the letter's sentences on the legal basis), each once and in order."""

    notes: list[str] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    basis: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if text and text not in self.notes:
            self.notes.append(text)

    def advise(self, text: str) -> None:
        if text and text not in self.advice:
            self.advice.append(text)


def _names(values: frozenset[str], order: tuple[str, ...], words: dict[str, str] | None = None) -> str:
    shown = [words[v] if words else v for v in order if v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def excluded(pack: Pack, section: str, who: Situation, said: Said, *, relevant: bool = True) -> bool:
    """Whether the rule of ``section`` does not cover ``who``; says so, and what applies instead, when ``relevant``
    (the rule had something to look at)."""
    scope = pack.scope(section)
    if scope.covers(who) is not False:
        return False
    if relevant:
        title = pack.section(section)["title"]
        if who.contract and who.contract not in scope.contracts:
            contracts = _names(scope.contracts, CONTRACTS)
            why = f"it covers {contracts} contracts, and this one is a {who.contract} contract"
        elif who.customer and who.customer not in scope.customers:
            covered = _names(scope.customers, CUSTOMERS, CUSTOMER_WORDS)
            why = f"it covers {covered}, and the customer is {CUSTOMER_ONE[who.customer]}"
        else:
            why = f"{CUSTOMER_ONE[who.customer]} may waive it, and the customer did"
        said.note(f"{title}: {why}, so nothing is claimed under it. {scope.outside}".strip())
    return True


def used(pack: Pack, section: str, who: Situation, said: Said) -> None:
    """The rule of ``section`` gave something: say what its amounts assume of what ``who`` leaves unstated, the
    legal basis in the owner's situation, and what could not be verified."""
    scope = pack.scope(section)
    title = pack.section(section)["title"]
    if scope.covers(who) is None:
        assumed = []
        if not who.contract and scope.contracts != frozenset(CONTRACTS):
            contracts = _names(scope.contracts, CONTRACTS)
            assumed.append(f"a {contracts} contract")
            said.advise(
                f'set [claims] contract = "residential" or "business": {title} covers {contracts} contracts only'
            )
        if not who.customer and scope.customers != frozenset(CUSTOMERS):
            covered = _names(scope.customers, CUSTOMERS, CUSTOMER_WORDS)
            assumed.append(f"a customer among {covered}")
            said.advise(
                f'set [claims] customer = "consumer", "micro_business" or "small_business": {title} covers {covered} '
                "only"
            )
        said.note(f"{title} applies only to {' and '.join(assumed)}: the amounts under it assume this is one.")
    basis = scope.basis_for(who)
    if basis and basis not in said.basis:
        said.basis.append(basis)
    said.note(scope.caveat_for(who))

"""Where one module reads what another writes: the contract holds in both directions."""

from rescity.assess.domain.indices import INDEX_NAMES
from rescity.knowledge.domain.assessment import index_themes, normalise_index


def test_knowledge_understands_every_index_that_assess_writes() -> None:
    """`rescity kb attach-assessment` reads `rescity assess`'s summary.json by index name."""
    themes = index_themes()
    for name in INDEX_NAMES:
        canonical = normalise_index(name)
        assert canonical is not None, f"knowledge ignores assess index '{name}'"
        assert themes.get(canonical), f"no themes to recommend for '{name}'"

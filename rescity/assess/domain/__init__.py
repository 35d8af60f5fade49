"""Pure rules of the assess engine: taxonomy, configuration, index formulas, statistics."""

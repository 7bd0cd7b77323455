"""Person mentions → persons: blocking, comparisons, constraints, thresholds, evidence (issue: linking)."""

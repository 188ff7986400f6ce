"""SparseML 1.8's `sparseml.core` recipes: its registry, evaluator and reader."""

"""SparseML 1.8's `sparseml.core` recipes: its registry of modifiers
(`registry.json`, generated from the engine by `generate.py`), its `eval(...)`
and its reader of the load and build steps.

May import: what `dialects/` may.
"""

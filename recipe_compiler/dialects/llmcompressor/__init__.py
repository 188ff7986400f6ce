"""llm-compressor 0.14's recipes: its registry of modifiers and preset schemes
(`registry.json`, generated from the engine by `generate.py`).

May import: what `dialects/` may.
"""

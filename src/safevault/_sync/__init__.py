# GENERATED from src/safevault/_async/__init__.py by scripts/unasync.py: do not edit.
"""The shell: it loops and sends around the decisions of ``safevault._core``.

``safevault._sync`` is written by hand; ``safevault._sync`` is generated from it, whole, by
``scripts/unasync.py``.
"""

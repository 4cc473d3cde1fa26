"""The shell: it loops and sends around the decisions of ``safevault._core``.

``safevault._async`` is written by hand; ``safevault._sync`` is generated from it, whole, by
``scripts/unasync.py``.
"""

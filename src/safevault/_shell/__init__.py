"""What the sync and async shells share (``_base``) and their twin primitives: ``_asyncio``
for ``safevault._async``, ``_threads`` for the generated ``safevault._sync``."""

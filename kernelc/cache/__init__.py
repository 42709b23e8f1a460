"""Precompiled programs: `store` (the cache file and its keys, looked up at run time),
`build` (translating a scan's instances into a cache file) and `specialisations` (the
recorded launch shapes a build adds).

Rule: the runtime needs only `store`'s names, re-exported here; building imports the
compiler's whole pipeline and stays in its own modules.
"""

from kernelc.cache.store import Cache, cache_key, default_cache, kernel_id, lookup

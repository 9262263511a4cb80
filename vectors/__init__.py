"""The vector files and JSON Schemas, shipped in the wheel as the package ``conformance.vector_files``
(``setup.py``); read them through ``conformance.data``."""

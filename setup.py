"""What pyproject.toml cannot say: the repository's ``vectors/`` folder ships as the package
``conformance.vector_files`` (located by ``conformance.data``), next to the Python packages.
Everything else about the project is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["spec_model*", "conformance*", "interop*"], exclude=["*node_modules*"]),
              "conformance.vector_files"],
    package_dir={"conformance.vector_files": "vectors"},
)

"""Build hook for the optional native engine (added with the hash-reversal engine)."""

from setuptools import setup

setup()

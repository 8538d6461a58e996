"""Test harness shared by every engineer: a real apiserver subprocess and its clients."""

from tests.support.apiserver import ApiServer, start_apiserver

__all__ = ["ApiServer", "start_apiserver"]

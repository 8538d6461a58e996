"""Test harness shared by every engineer: a real apiserver subprocess and its clients."""

from tests.support.apiserver import ApiServer, start_apiserver
from tests.support.inprocess import InProcessApiServer, start_inprocess_apiserver

__all__ = ["ApiServer", "InProcessApiServer", "start_apiserver", "start_inprocess_apiserver"]

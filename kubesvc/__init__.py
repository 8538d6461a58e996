"""kubesvc: the Kubernetes Service system (API, registry, controllers, proxy, DNS) in Python."""

__version__ = "0.1.0"

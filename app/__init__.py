"""The challenge and procurement intake portal of the Dutch Ministry of Defence."""

__version__ = "0.1.0"

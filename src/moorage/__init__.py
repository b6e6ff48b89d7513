"""moorage: one description of a containerised app -> its production AWS architecture."""

__version__ = "0.1.0"

"""crewbot: the film authority's assistant for foreign crews shooting in Vietnam."""

__version__ = "0.1.0"

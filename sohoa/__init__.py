"""sohoa: digitize Vietnamese paper civil-registry books into reviewed, linked electronic records."""

__version__ = "0.1.0"

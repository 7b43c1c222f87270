"""rapporteur: recorded sessions in, a searchable static archive site out."""

__version__ = "0.1.0"

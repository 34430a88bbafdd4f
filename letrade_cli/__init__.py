"""Letrade: a command-line suite for people who trade crypto with their own code."""

__version__ = "0.1.0"

"""Tests of the website: the book builds, runs, and works in a browser."""

"""Helpers shared by the test suite, such as runners for real server processes."""

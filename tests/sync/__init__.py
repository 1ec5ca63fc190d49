"""Tests for runofshow."""

"""Placeholder until built."""

urlpatterns: list = []

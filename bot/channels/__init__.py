"""Channels: each turns platform events into `Incoming` and renders `Reply` its own way."""

"""The lowest layer: settings, errors with their public texts, text utilities, file helpers and
collection names. Imports nothing else of the project."""

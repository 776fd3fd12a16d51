"""The operator console: staff pages at /console/ over the same use cases the API uses."""

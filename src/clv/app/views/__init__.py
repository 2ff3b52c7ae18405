"""Page views of the app; each exposes a render function."""

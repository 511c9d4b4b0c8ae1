"""System checks for this project's own settings (ids newsroom.*)."""

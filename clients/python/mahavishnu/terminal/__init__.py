"""The guide's `mahavishnu.terminal` package: only the `TerminalManager` stand-in lives here."""

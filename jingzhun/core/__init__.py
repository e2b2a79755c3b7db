"""Project-wide machinery that belongs to no one module and imports none of them (see `apps.CoreConfig`)."""

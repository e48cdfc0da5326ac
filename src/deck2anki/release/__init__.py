"""Release history: stamps (when each note changed), the guard, and git."""
